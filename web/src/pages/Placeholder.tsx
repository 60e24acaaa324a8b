/** A page that is planned but not built yet: says so, and where the same thing is done today. */
export function Placeholder({ title }: { title: string }) {
  return (
    <section>
      <h1>{title}</h1>
      <p className="muted">This page is not built yet. Everything it will do is available through the REST API under /api/v1.</p>
    </section>
  );
}
