// The scheme flags every command that names a scheme shares (`analyze`, `rings`, `init`), with
// one set of defaults, so `--pool 10000` means the same thing everywhere. Values are checked for
// syntax here and for range by host/authority checkSchemeParams.

import { type Command, InvalidArgumentError, Option } from "commander";
import { type SchemeParams, checkSchemeParams } from "../host/authority/index.js";
import { SCHEME_NAMES } from "../host/image/index.js";
import { CliError, EXIT } from "./errors.js";

/** Defaults of the scheme flags: Eschenauer-Gligor's example deployment (P = 10,000, k = 75). */
export const SCHEME_DEFAULTS = {
  scheme: "eg",
  pool: 10_000,
  ring: 75,
  q: 2,
  nodes: 1000,
  partners: 30,
  polynomials: 100,
  perNode: 5,
  degree: 20,
  lanes: 5,
} as const;

export interface SchemeFlags {
  scheme: string;
  pool: number;
  ring: number;
  q: number;
  nodes: number;
  partners: number;
  polynomials: number;
  perNode: number;
  degree: number;
  lanes: number;
  seeded?: boolean;
}

/** Syntax only: a non-negative integer. Ranges are checked with the other parameters. */
export function count(value: string): number {
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`expected a non-negative integer, got "${value}".`);
  }
  return Number(value);
}

/** Adds --scheme and every scheme's parameters, each with its default, to a command. */
export function addSchemeOptions(command: Command): Command {
  const d = SCHEME_DEFAULTS;
  return command
    .addOption(
      new Option("--scheme <name>", "key predistribution scheme")
        .choices(SCHEME_NAMES as string[])
        .default(d.scheme),
    )
    .option("--pool <P>", "pool size P (eg, qcomposite), 1 .. 2^32", count, d.pool)
    .option("--ring <k>", "keys per node k (eg, qcomposite)", count, d.ring)
    .option("--q <q>", "keys a q-composite link needs", count, d.q)
    .option("--nodes <n>", "network size n (full, pairwise; node IDs 1..n)", count, d.nodes)
    .option("--partners <m>", "mean partners per node m (pairwise)", count, d.partners)
    .option("--polynomials <s>", "polynomials in the pool s (polypool)", count, d.polynomials)
    .option(
      "--per-node <s'>",
      "polynomials per node s' (polypool; s = s' = 1 is Blundo)",
      count,
      d.perNode,
    )
    .option("--degree <t>", "polynomial degree t (polypool)", count, d.degree)
    .option("--lanes <L>", "31-bit field lanes per polynomial (polypool)", count, d.lanes)
    .option(
      "--seeded",
      "rings drawn from a public seed, so HELLO carries only the node ID " +
        "(eg, qcomposite, polypool; rings become public)",
      false,
    );
}

/** The scheme flags as authority parameters; impossible combinations exit INVALID_INPUT. */
export function schemeParamsFrom(flags: SchemeFlags): SchemeParams {
  const seeded = flags.seeded === true;
  let params: SchemeParams;
  switch (flags.scheme) {
    case "full":
      params = { scheme: "full", nodes: flags.nodes };
      break;
    case "eg":
      params = { scheme: "eg", pool: flags.pool, ring: flags.ring, seeded };
      break;
    case "qcomposite":
      params = { scheme: "qcomposite", pool: flags.pool, ring: flags.ring, q: flags.q, seeded };
      break;
    case "pairwise":
      params = { scheme: "pairwise", nodes: flags.nodes, partners: flags.partners };
      break;
    case "polypool":
      params = {
        scheme: "polypool",
        polynomials: flags.polynomials,
        perNode: flags.perNode,
        degree: flags.degree,
        lanes: flags.lanes,
        seeded,
      };
      break;
    default:
      params = { scheme: "leap" };
  }
  try {
    return checkSchemeParams(params);
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `${flags.scheme}: ${error.message}`,
        "check the scheme parameters: ring <= pool, q <= ring, partners <= nodes - 1, " +
          "per-node <= polynomials, pool <= 2^32",
      );
    }
    throw error;
  }
}
