import { Placeholder } from './Placeholder.tsx';

/** The catalogue and custom types. */
export function EventTypes() {
  return <Placeholder title="Event types" />;
}
