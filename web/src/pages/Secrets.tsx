import { Placeholder } from './Placeholder.tsx';

/** Masked, reveal, rotate. */
export function Secrets() {
  return <Placeholder title="Project secrets" />;
}
