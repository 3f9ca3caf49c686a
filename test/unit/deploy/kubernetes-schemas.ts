/**
 * Validates rendered Kubernetes objects offline, in two passes that need no cluster:
 * 1. kubernetes-models (npm): JSON Schemas generated from the Kubernetes OpenAPI spec (and KEDA's
 *    CRD for ScaledObject), compiled with ajv — types, required fields, enums, int-or-string.
 * 2. Unknown fields (what kubeconform's -strict adds): those schemas allow extra properties, so
 *    each object is type-checked as an object literal against the same package's TypeScript
 *    interfaces, whose excess-property check names a misspelt or misplaced field at any depth.
 * kubeconform (Go) is not installable here; `kubectl apply --dry-run=client` needs a server's
 * OpenAPI to validate. README, Production > Kubernetes says the same.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export interface K8sObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown }

// apiVersion/kind -> the kubernetes-models module and its interface
const MODELS: Record<string, { module: string; type: string }> = {
  'v1/ConfigMap': { module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1/Secret': { module: 'kubernetes-models/v1/Secret', type: 'ISecret' },
  'v1/Service': { module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1/PersistentVolumeClaim': { module: 'kubernetes-models/v1/PersistentVolumeClaim', type: 'IPersistentVolumeClaim' },
  'apps/v1/Deployment': { module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'policy/v1/PodDisruptionBudget': { module: 'kubernetes-models/policy/v1/PodDisruptionBudget', type: 'IPodDisruptionBudget' },
  'keda.sh/v1alpha1/ScaledObject': { module: '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject', type: 'IScaledObject' },
};

const require = createRequire(import.meta.url);
const modelOf = (o: K8sObject) => MODELS[`${o.apiVersion}/${o.kind}`];
const label = (o: K8sObject) => `${o.kind}/${o.metadata?.name}`;

/** Pass 1: schema errors as "Kind/name: /path message". */
export function schemaErrors(objects: K8sObject[]): string[] {
  return objects.flatMap((o) => {
    const model = modelOf(o);
    if (!model) return [`${label(o)}: no schema for ${o.apiVersion} ${o.kind} (add it to MODELS)`];
    const Model = (require(model.module) as Record<string, new (d: unknown) => { validate(): void }>)[o.kind]!;
    try {
      new Model(o.kind === 'Secret' ? unwrapBase64(o) : o).validate();
      return [];
    } catch (e) {
      return [`${label(o)}: ${(e as Error).message}`];
    }
  });
}

// kustomize wraps long base64 values at 70 columns; the API server's decoder (Go's base64) skips
// the newlines, the package's `byte` format does not
function unwrapBase64(o: K8sObject): K8sObject {
  const data = o.data as Record<string, string> | undefined;
  return data ? { ...o, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replace(/\n/g, '')])) } : o;
}

// a file beside this one, so the packages resolve from the repository's node_modules; never written
const virtualFile = fileURLToPath(new URL('./__rendered__.ts', import.meta.url));

/** Pass 2: TypeScript's excess-property and type errors, as "Kind/name: message". */
export function unknownFieldErrors(objects: K8sObject[]): string[] {
  const known = objects.filter((o) => modelOf(o));
  const source = [
    ...known.map((o, i) => `import type { ${modelOf(o)!.type} as T${i} } from '${modelOf(o)!.module}';`),
    ...known.map((o, i) => `export const o${i}: T${i} = ${JSON.stringify(o)};`),
  ].join('\n');
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true, types: [], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (f, lang, ...rest) => (f === virtualFile ? ts.createSourceFile(f, source, lang) : getSourceFile.call(host, f, lang, ...rest));
  host.fileExists = (f) => f === virtualFile || fileExists.call(host, f);
  const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram([virtualFile], options, host));
  return diagnostics.map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const o = known[line - known.length];
    return `${o ? label(o) : 'rendered objects'}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ').slice(0, 400)}`;
  });
}
