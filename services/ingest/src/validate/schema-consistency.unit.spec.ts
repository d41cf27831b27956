import { rawRegisterEventSchema } from '@register-feeds/contracts';
import { describe, expect, it } from 'vitest';
import { type Bounds, contractSummary, type ObjectSummary, type Patterns } from './contract.ts';

// The published JSON Schema and the validator's contract table describe one contract. This test reads the
// schema's own structure (properties, required, enums and bounds of every object) and compares it with the
// table the validator walks, so a field added to one and not the other fails the build.

type Node = Record<string, unknown>;

const schema = rawRegisterEventSchema() as Node;

function resolve(node: Node): Node {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  const target = ref
    .replace(/^#\//, '')
    .split('/')
    .reduce<Node>((at, name) => at[name] as Node, schema);
  return resolve(target);
}

const BOUND_KEYS = ['minimum', 'maximum', 'minLength', 'maxLength'] as const;

function schemaSummary(node: Node, path = '', out: Record<string, ObjectSummary> = {}): Record<string, ObjectSummary> {
  const object = resolve(node);
  const properties = object.properties as Record<string, Node>;
  const enums: Record<string, string[]> = {};
  const bounds: Record<string, Bounds> = {};
  const patterns: Record<string, Patterns> = {};
  for (const [name, property] of Object.entries(properties)) {
    const resolved = resolve(property);
    if (Array.isArray(resolved.enum)) enums[name] = resolved.enum as string[];
    const own = Object.fromEntries(BOUND_KEYS.filter((key) => resolved[key] !== undefined).map((key) => [key, resolved[key]]));
    if (Object.keys(own).length > 0) bounds[name] = own;
    const forbidden = (resolved.not as Node | undefined)?.pattern;
    if (resolved.pattern !== undefined || forbidden !== undefined) {
      patterns[name] = {
        ...(resolved.pattern === undefined ? {} : { pattern: resolved.pattern as string }),
        ...(forbidden === undefined ? {} : { forbidden: forbidden as string }),
      };
    }
    if (resolved.type === 'object') schemaSummary(resolved, path ? `${path}.${name}` : name, out);
  }
  out[path] = {
    fields: Object.keys(properties).sort(),
    required: [...((object.required as string[]) ?? [])].sort(),
    enums,
    bounds,
    patterns,
  };
  return out;
}

describe('schemas/raw-register-event.schema.json', () => {
  it('given the schema and the validator, when their objects are compared, then they accept the same fields', () => {
    const fromSchema = schemaSummary(schema);
    const fromValidator = contractSummary();
    expect(Object.keys(fromSchema).sort()).toEqual(Object.keys(fromValidator).sort());
    for (const path of Object.keys(fromValidator)) {
      expect({ path, fields: fromSchema[path]?.fields }).toEqual({ path, fields: fromValidator[path]?.fields });
    }
  });

  it('given the schema and the validator, when compared, then they require the same fields, allow the same enum values and bounds', () => {
    const withoutPatterns = (summary: Record<string, ObjectSummary>) =>
      Object.fromEntries(Object.entries(summary).map(([path, { patterns: _, ...rest }]) => [path, rest]));
    expect(withoutPatterns(schemaSummary(schema))).toEqual(withoutPatterns(contractSummary()));
  });

  // Most fields' checks are predicates (identifiers.ts) the schema mirrors with its own patterns; where the
  // contract table states its pattern (eventId), the schema must state exactly that, and every forbidden
  // pattern (`not`) must be in both.
  it('given the schema and the validator, when their patterns are compared, then the stated ones are the same', () => {
    const fromSchema = schemaSummary(schema);
    for (const [path, summary] of Object.entries(contractSummary())) {
      for (const [name, patterns] of Object.entries(summary.patterns)) {
        expect({ path, name, ...fromSchema[path]?.patterns[name] }).toEqual({ path, name, ...patterns });
      }
      for (const [name, patterns] of Object.entries(fromSchema[path]?.patterns ?? {})) {
        if (patterns.forbidden !== undefined)
          expect({ path, name, forbidden: summary.patterns[name]?.forbidden }).toEqual({ path, name, forbidden: patterns.forbidden });
      }
    }
    expect(contractSummary()['']?.patterns.eventId).toEqual({ pattern: '^[A-Za-z0-9-]*$', forbidden: '[0-9]{9}' });
  });

  it('given the schema, when read, then it is a closed draft 2020-12 schema', () => {
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const closed = Object.entries(schemaSummary(schema)).map(([path]) => {
      const node =
        path === '' ? schema : path.split('.').reduce<Node>((at, name) => resolve((at.properties as Record<string, Node>)[name]!), schema);
      return [path, node.additionalProperties];
    });
    expect(closed.every(([, additional]) => additional === false)).toBe(true);
  });
});
