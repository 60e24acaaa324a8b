import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import { JsonView } from '../../ui/JsonView.tsx';
import { useSubmit } from '../../ui/useSubmit.ts';
import { Executions } from './Executions.tsx';
import { formatEnv, parseEnv, STARTER_CODE, STARTER_SAMPLE, type RunOut, type SampleRequest, type Transformation } from './types.ts';
import { RunLogs } from './RunLogs.tsx';
import { UsedBy } from './UsedBy.tsx';

const ms = (n: number) => `${n < 10 ? n.toFixed(1) : Math.round(n)} ms`;

/** Write the code, its variables, and try it on a sample request before any connection uses it. */
export function TransformationEditor({ initial, onClose }: { initial: Transformation | null; onClose: () => Promise<void> }) {
  const [saved, setSaved] = useState<Transformation | null>(initial);
  const [name, setName] = useState(initial?.name ?? '');
  const [code, setCode] = useState(initial?.code ?? STARTER_CODE);
  const [envText, setEnvText] = useState(formatEnv(initial?.env ?? {}));
  const [sample, setSample] = useState(STARTER_SAMPLE);
  const [result, setResult] = useState<RunOut | null>(null);
  const save = useSubmit();
  const run = useSubmit();
  const envParsed = parseEnv(envText);

  const onSave = () =>
    save.run(async () => {
      if (envParsed.problem) throw new Error(`Variables: ${envParsed.problem}`);
      const body = { name, code, env: envParsed.env };
      setSaved(saved ? await api<Transformation>('PUT', `/transformations/${saved.id}`, body) : await api<Transformation>('POST', '/transformations', body));
    });

  const onRun = () =>
    run.run(async () => {
      setResult(null);
      if (envParsed.problem) throw new Error(`Variables: ${envParsed.problem}`);
      let request: SampleRequest;
      try {
        request = JSON.parse(sample) as SampleRequest;
      } catch {
        throw new Error('The sample request is not valid JSON.');
      }
      // The code on screen, not the saved one: trying a change must not need a save first.
      setResult(await api<RunOut>('PUT', '/transformations/run', { code, env: envParsed.env, request }));
    });

  return (
    <section data-testid="transformation-editor">
      <header className="row">
        <h1>{saved ? saved.name : 'New transformation'}</h1>
        <button onClick={() => void onClose()}>← All transformations</button>
      </header>
      <div className="grid2">
        <div>
          <label className="field">
            Name
            <input data-testid="transformation-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. strip-pii" />
          </label>
          <label className="field">
            Code
            <textarea
              data-testid="transformation-code"
              rows={16}
              spellCheck={false}
              value={code}
              onChange={(e) => (setCode(e.target.value), setResult(null))}
            />
          </label>
          <label className="field">
            <span>
              Variables: <code>KEY=value</code> per line, read as <code>env.KEY</code>
            </span>
            <textarea
              data-testid="transformation-env"
              rows={3}
              spellCheck={false}
              value={envText}
              onChange={(e) => (setEnvText(e.target.value), setResult(null))}
            />
          </label>
          {envParsed.problem && <p className="error-text">{envParsed.problem}</p>}
          <ErrorBox error={save.error} />
          <div className="row">
            <button className="primary" data-testid="transformation-save" disabled={save.busy || !name.trim()} onClick={() => void onSave()}>
              {save.busy ? 'Saving…' : saved ? 'Save changes' : 'Create'}
            </button>
            {saved && <span className="muted mono">{saved.id}</span>}
          </div>
        </div>
        <div>
          <label className="field">
            Sample request
            <textarea data-testid="transformation-sample" rows={10} spellCheck={false} value={sample} onChange={(e) => setSample(e.target.value)} />
          </label>
          <button data-testid="transformation-run" disabled={run.busy} onClick={() => void onRun()}>
            {run.busy ? 'Running…' : 'Run on the sample'}
          </button>
          <ErrorBox error={run.error} />
          {result && (
            <div data-testid="transformation-result" data-ok={String(result.ok)}>
              <p className={result.ok ? 'muted' : 'error-text'}>
                {result.ok ? `Ran in ${ms(result.duration_ms)}.` : `Failed after ${ms(result.duration_ms)}: ${result.error?.code} — ${result.error?.message}`}
              </p>
              {result.ok && result.request && <JsonView value={result.request} />}
              <RunLogs logs={result.logs} />
            </div>
          )}
        </div>
      </div>
      {saved && <UsedBy transformationId={saved.id} />}
      {saved && <Executions transformationId={saved.id} />}
    </section>
  );
}
