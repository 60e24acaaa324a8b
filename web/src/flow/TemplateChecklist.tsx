import { unfilledPlaceholders, type FlowTemplate } from '../../../shared/flow-templates.ts';
import type { CanvasNode } from './graph.ts';

/**
 * Above the canvas of a flow started from a template: what only the user can fill in, each with a
 * button that opens the node's form, ticked off as it is filled.
 */
export function TemplateChecklist({ template, nodes, onOpen }: { template: FlowTemplate; nodes: CanvasNode[]; onOpen: (nodeId: string) => void }) {
  const open = new Set(unfilledPlaceholders(template, nodes).map((p) => `${p.nodeId}.${p.field}`));
  return (
    <div className={open.size ? 'notice template-todo' : 'notice template-todo done'} data-testid="template-checklist" role="status">
      <strong>From the template “{template.name}”.</strong>{' '}
      {open.size
        ? `Fill in ${open.size === 1 ? 'the marked field' : `the ${open.size} marked fields`}, then Save:`
        : 'Everything the template needs is filled in: Save, then Test.'}
      <ul>
        {template.placeholders.map((p) => {
          const todo = open.has(`${p.nodeId}.${p.field}`);
          return (
            <li key={`${p.nodeId}.${p.field}`} data-testid={`placeholder-${p.nodeId}-${p.field}`} data-filled={todo ? 'no' : 'yes'}>
              {todo ? '☐' : '☑'} {p.label} <span className="muted">(e.g. {p.example})</span>{' '}
              {todo && (
                <button type="button" className="small" onClick={() => onOpen(p.nodeId)}>
                  Fill in
                </button>
              )}
            </li>
          );
        })}
        {template.setup && <li>{template.setup}</li>}
      </ul>
    </div>
  );
}
