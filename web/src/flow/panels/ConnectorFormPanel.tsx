import type { ComponentType } from 'react';
import { connectorNode } from '../../../../shared/connectors.ts';
import type { NodeKind } from '../../../../shared/flow-graph.ts';
import { Field, TestConnection, useFieldErrors, without, type PanelProps } from './common.tsx';

/**
 * The form of a connector's node that brings no panel of its own, drawn from its manifest's `form`
 * (connectors/<x>/node.ts). A secret input is never filled from the node: once saved, the server
 * keeps the value with the destination's credentials and the node shows `<key>Hint` instead, so an
 * empty input keeps what is stored.
 */
export function connectorFormPanel(kind: NodeKind): ComponentType<PanelProps> {
  const fields = connectorNode(kind)?.form ?? [];
  // biome-ignore lint/correctness/noComponentHookFactories: made once per connector kind at module load (NodePanel's table), never during a render.
  function ConnectorFormPanel({ data, onChange, env }: PanelProps) {
    const errors = useFieldErrors(kind, data);
    return (
      <>
        {fields.map((f) => {
          const value = typeof data[f.key] === 'string' ? (data[f.key] as string) : '';
          const hint = f.secret && typeof data[`${f.key}Hint`] === 'string' ? (data[`${f.key}Hint`] as string) : null;
          const note = hint ? `(now ${hint}; leave empty to keep)` : f.optional ? '(optional)' : null;
          const testid = `${kind}-${f.key}`;
          return (
            <Field
              key={f.key}
              label={
                note ? (
                  <>
                    {f.label} <span className="muted flow-secret-note">{note}</span>
                  </>
                ) : (
                  f.label
                )
              }
              hint={f.hint}
              error={value ? errors[f.key] : undefined}
              testid={testid}
            >
              <input
                data-testid={testid}
                value={value}
                placeholder={f.placeholder}
                spellCheck={false}
                autoComplete="off"
                onChange={(e) => onChange(e.target.value ? { ...data, [f.key]: e.target.value } : without(data, f.key))}
              />
            </Field>
          );
        })}
        <TestConnection run={() => env.testConnection(data)} disabled={Object.keys(errors).length > 0} />
      </>
    );
  }
  return ConnectorFormPanel;
}
