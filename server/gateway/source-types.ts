/**
 * The source type of each workspace's built-in application source, which publish/application-source.ts
 * makes and only the publish API writes to. No other source may take it. Here, with the sources,
 * because ingest, delivery and the transformations tell such a source apart without the hub.
 */
export const APPLICATION_SOURCE_TYPE = 'APPLICATION';
