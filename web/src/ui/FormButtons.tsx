/**
 * A form's foot: its submit button, saying what it does (and, with `busyLabel`, what it is doing
 * while the request runs), then Cancel.
 */
export function FormButtons({
  label,
  busyLabel,
  busy,
  disabled = false,
  testId,
  onCancel,
}: {
  label: string;
  busyLabel?: string;
  busy: boolean;
  disabled?: boolean;
  testId?: string;
  onCancel: () => void;
}) {
  return (
    <div className="row">
      <button type="submit" className="primary" data-testid={testId} disabled={busy || disabled}>
        {busy && busyLabel ? busyLabel : label}
      </button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
