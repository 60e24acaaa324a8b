import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './chart.css';

/** `sparse`: values with gaps between them (no data is not zero), drawn as dots joined across the gaps. */
export type ChartSeries = { label: string; color: string; values: (number | null)[]; sparse?: boolean; fill?: string };

type Props = {
  /** Bucket starts, Unix seconds. */
  times: number[];
  series: ChartSeries[];
  height?: number;
  /** How a y value reads in the legend and on the axis (a count by default). */
  format?: (v: number) => string;
  testId?: string;
  title: string;
  /** Room for the y axis' labels, in px. */
  axisWidth?: number;
};

const count = (v: number) => (Number.isInteger(v) ? v.toLocaleString() : '');

/**
 * A time-series chart drawn by uPlot on one canvas, sized to its box and redrawn when the box
 * resizes. The series' names are kept on the element (data-series) and in a legend, the number
 * of buckets in data-points, so what is drawn can be checked without reading pixels.
 */
export function Chart({ times, series, height = 220, format = count, testId, title, axisWidth = 56 }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = () => Math.max(240, el.clientWidth || 640);
    const opts: uPlot.Options = {
      width: width(),
      height,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(max ?? 0, min ?? 0, 1) * 1.1] } },
      axes: [
        { stroke: '#667085', grid: { stroke: '#eef0f3' } },
        { stroke: '#667085', grid: { stroke: '#eef0f3' }, values: (_u, ticks) => ticks.map(format), size: axisWidth },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: !!s.sparse,
          ...(s.fill ? { fill: s.fill } : {}),
          ...(s.sparse ? { points: { show: true, size: 6, fill: s.color } } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
        })),
      ],
      legend: { live: true },
    };
    const chart = new uPlot(opts, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => chart.setSize({ width: width(), height }));
    resize?.observe(el);
    return () => {
      resize?.disconnect();
      chart.destroy();
    };
  }, [times, series, height, format, axisWidth]);
  return (
    <div
      ref={box}
      className="chart"
      role="img"
      aria-label={title}
      data-testid={testId}
      data-series={series.map((s) => s.label).join(',')}
      data-points={times.length}
    />
  );
}

/**
 * A 24 h sparkline for a row of a list: delivered (green) and failed (red) per hour, no axes, no
 * legend; the totals are in its label.
 */
export function Sparkline({ delivered, failed, testId = 'sparkline' }: { delivered: number[]; failed: number[]; testId?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const sum = (a: number[]) => a.reduce((s, n) => s + n, 0);
  const label = `Last 24 hours: ${sum(delivered)} delivered, ${sum(failed)} failed`;
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = delivered.map((_, i) => i);
    const line = (stroke: string) => ({ stroke, width: 1.5, points: { show: false } });
    const chart = new uPlot(
      {
        width: 96,
        height: 28,
        cursor: { show: false },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        legend: { show: false },
        axes: [{ show: false }, { show: false }],
        // A little room under zero, so a quiet hour's flat line shows instead of hiding on the edge.
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [-Math.max(max ?? 0, 1) * 0.12, Math.max(max ?? 0, 1) * 1.05] } },
        series: [{}, line('#12b76a'), line('#d92d20')],
      },
      [xs, delivered, failed],
      el,
    );
    return () => chart.destroy();
  }, [delivered, failed]);
  return (
    <div
      ref={box}
      className="sparkline"
      role="img"
      aria-label={label}
      title={label}
      data-testid={testId}
      data-delivered={sum(delivered)}
      data-failed={sum(failed)}
    />
  );
}
