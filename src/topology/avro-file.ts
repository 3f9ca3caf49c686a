/** Reads an .avsc file and checks with avsc that it is a valid Avro record schema. */
import { readFile } from 'node:fs/promises';
import avro from 'avsc';

export type AvroFile = { schema: Record<string, unknown> } | { problem: string };

export async function readAvroRecordSchema(file: string): Promise<AvroFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? `schema file not found: ${file}` : `cannot read schema file ${file}: ${(err as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problem: `schema file ${file} is not JSON: ${(err as Error).message}` };
  }
  try {
    avro.Type.forSchema(json as avro.Schema);
  } catch (err) {
    return { problem: `schema file ${file} is not a valid Avro schema: ${(err as Error).message}` };
  }
  const record = json as Record<string, unknown>;
  if (typeof json !== 'object' || json === null || Array.isArray(json) || (record.type !== 'record' && record.type !== 'error')) {
    return { problem: `schema file ${file} must hold an Avro record schema (got type ${JSON.stringify(Array.isArray(json) ? 'union' : (record.type ?? json))})` };
  }
  return { schema: record };
}
