import { issueSentence } from '../../../shared/issue-text.ts';
import { ApiError } from '../api.ts';

/**
 * The API's error shape as sentences: the message, then each detail naming its field in plain
 * words ("The name can only contain…"), not `body.name: may contain…`. The path stays in the
 * tooltip for whoever needs it.
 */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const details = error instanceof ApiError ? error.details : [];
  // A flow's problems come worded already, naming the step ("The webhook step “example.com”: …").
  const sentences = details.map((d) => d.sentence ?? issueSentence(d));
  // A validation error's message already is its details' sentences: they are not said twice.
  const repeated = sentences.length > 0 && sentences.length <= 3 && sentences.every((s) => message.includes(s));
  return (
    <div className="error" role="alert">
      <strong>{message}</strong>
      {!repeated && details.length > 0 && (
        <ul>
          {details.map((d, i) => (
            <li key={i} title={d.path}>
              {sentences[i]}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
