// Runs tenants' JSON Schemas (custom event types) off the event loop: see schema-checker.ts.
// Plain JavaScript that registers tsx itself, so json-schema.ts is the one copy of the rules
// however this process was started (npm start, vitest).
import { register } from 'tsx/esm/api';

register();
const { checkTask } = await import('./schema-task.ts');
export default checkTask;
