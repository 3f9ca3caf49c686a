/** Finds a `java` of at least a given major version (Apicurio 3 needs 21+; the default java here is 17). */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../../src/errors.js';

/** Major version of the JDK at `home`, from its `release` file or `java -version`; 0 when unknown. */
export function javaMajor(home: string): number {
  const bin = join(home, 'bin', 'java');
  if (!existsSync(bin)) return 0;
  let text = '';
  try {
    text = readFileSync(join(home, 'release'), 'utf8');
  } catch {
    try {
      text = execFileSync(bin, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    } catch (e) {
      text = String((e as { stderr?: string }).stderr ?? '');
    }
  }
  const m = /(?:JAVA_VERSION=|version )"(\d+)(?:\.(\d+))?/.exec(text);
  if (!m) return 0;
  const major = Number(m[1]);
  return major === 1 ? Number(m[2] ?? 0) : major; // "1.8.0" style
}

/** `$JAVA21_HOME`, `$JAVA_HOME`, then the newest JDK under /usr/lib/jvm with major ≥ `min`. Returns the java binary. */
export function findJava(min: number, env: NodeJS.ProcessEnv = process.env): string {
  const candidates: string[] = [];
  if (env.JAVA21_HOME) candidates.push(env.JAVA21_HOME);
  if (env.JAVA_HOME) candidates.push(env.JAVA_HOME);
  try {
    const jvms = readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d));
    candidates.push(...jvms.sort((a, b) => javaMajor(b) - javaMajor(a)));
  } catch { /* no /usr/lib/jvm */ }
  for (const home of candidates) if (javaMajor(home) >= min) return join(home, 'bin', 'java');
  throw new SluiceError(
    'STACK_START_FAILED',
    `no Java ${min}+ found (tried JAVA21_HOME, JAVA_HOME, /usr/lib/jvm/*); install one or set JAVA21_HOME`,
  );
}

/** The java for Kafka (17+): JAVA_HOME's, else `java` on PATH. */
export function kafkaJava(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME && existsSync(join(env.JAVA_HOME, 'bin', 'java')) ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}
