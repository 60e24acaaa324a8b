import { Placeholder } from './Placeholder.tsx';

/** Create (scopes; shown once), list, revoke. */
export function ApiKeys() {
  return <Placeholder title="API keys" />;
}
