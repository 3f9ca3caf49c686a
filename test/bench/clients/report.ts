/** The table `npm run bench:clients` prints: every run, then each client's mean and its ratio to kafkajs'. Pure. */
import { cpus } from 'node:os';
import type { LoopResult } from './loop.js';

const fmt = (n: number, digits = 0): string => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const rate = (r: Pick<LoopResult, 'events' | 'seconds'>): number => r.events / r.seconds;
const cpu100k = (r: Pick<LoopResult, 'events' | 'cpuSeconds'>): number => (r.cpuSeconds / r.events) * 100_000;

export function formatClients(results: LoopResult[], info: { loadBefore: number; loadAfter: number; command: string }): string {
  const lines = [
    `sluice's hot loop per client (read_committed batches, one transaction per partition-batch), ${cpus().length} cores, load ${info.loadBefore.toFixed(1)} → ${info.loadAfter.toFixed(1)}`,
    '',
    '| client | events/s | CPU s/100k | transactions | output records |',
    '|---|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.client} | ${fmt(rate(r))} | ${fmt(cpu100k(r), 3)} | ${fmt(r.transactions)} | ${fmt(r.produced)} |`),
    '',
    '| client (mean of its runs) | events/s | CPU s/100k | ÷ kafkajs: events/s | CPU |',
    '|---|---:|---:|---:|---:|',
  ];
  const byClient = new Map<string, LoopResult[]>();
  for (const r of results) byClient.set(r.client, [...(byClient.get(r.client) ?? []), r]);
  const mean = (rs: LoopResult[], f: (r: LoopResult) => number) => rs.reduce((s, r) => s + f(r), 0) / rs.length;
  const base = [...byClient.entries()].find(([c]) => c.startsWith('kafkajs'))?.[1];
  for (const [client, rs] of byClient) {
    const [eps, cpu] = [mean(rs, rate), mean(rs, cpu100k)];
    const ratio = base ? `${(eps / mean(base, rate)).toFixed(2)} | ${(cpu / mean(base, cpu100k)).toFixed(2)}` : '– | –';
    lines.push(`| ${client} | ${fmt(eps)} | ${fmt(cpu, 3)} | ${ratio} |`);
  }
  const gaps = [...new Set(results.flatMap((r) => r.gaps.map((g) => `${r.client}: ${g}`)))];
  if (gaps.length > 0) lines.push('', ...gaps.map((g) => `gap: ${g}`));
  lines.push('', `reproduce: ${info.command}`);
  return lines.join('\n');
}
