import { Placeholder } from './Placeholder.tsx';

/** Google service account, CRM credentials. */
export function Settings() {
  return <Placeholder title="Settings" />;
}
