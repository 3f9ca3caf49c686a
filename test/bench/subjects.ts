/**
 * A bench run's registry subjects (its topics', and Kafka Streams' output's: all named after the run),
 * deleted when it cleans up, so runs do not pile subjects up in a long-lived registry.
 * Confluent's API: a soft delete, then `?permanent=true` (https://docs.confluent.io/platform/current/schema-registry/develop/api.html#delete--subjects-(string-%20subject)).
 */
export async function deleteSubjects(registryUrl: string, prefix: string): Promise<void> {
  const base = registryUrl.replace(/\/+$/, '');
  const res = await fetch(`${base}/subjects`);
  if (!res.ok) throw new Error(`GET ${base}/subjects: HTTP ${res.status}`);
  const subjects = ((await res.json()) as string[]).filter((s) => s.startsWith(prefix));
  for (const s of subjects) {
    const url = `${base}/subjects/${encodeURIComponent(s)}`;
    await fetch(url, { method: 'DELETE' });
    await fetch(`${url}?permanent=true`, { method: 'DELETE' });
  }
}
