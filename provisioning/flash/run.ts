// Flashing many ports at once: one session per port, all in parallel, with a progress bar per
// port (cli-progress MultiBar, on a TTY only), or with --json one event object per line (begin,
// progress, end with a stable error class and exit code), and a summary table at the end. The
// run's exit code is that of the first failed port in command-line order (0 when all passed).

import { readFileSync } from "node:fs";
import cliProgress from "cli-progress";
import { CliError, EXIT, type ExitCode } from "../errors.js";
import { openSerialLink } from "../serial/transport.js";
import {
  DEFAULT_TIMING,
  ERROR_EXIT,
  FlashError,
  Session,
  flashImage,
  type ErrorClass,
  type Link,
  type Timing,
  type FlashResult,
} from "./session.js";

export interface Job {
  port: string;
  image: Uint8Array;
  /** Where the image came from, for messages. */
  source: string;
  nodeId?: number;
}

export interface RunOptions {
  timing: Timing;
  json: boolean;
  trace: boolean;
  /** Progress bars: only when stderr is a TTY and not --json. */
  bars: boolean;
  color: boolean;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Opens a port; the serial transport unless a test gives another. */
  open?: (port: string, baud: number) => Promise<Link>;
  chunkMax?: number;
}

export interface JobResult {
  port: string;
  nodeId?: number;
  ok: boolean;
  errorClass?: ErrorClass;
  exitCode: ExitCode;
  message?: string;
  hint?: string;
  result?: FlashResult;
  ms: number;
}

/** Reads an image file; a missing or oversized file is a CliError naming it. */
export function readImage(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `cannot read image ${path}: ` +
        `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      "give the path of an image built by the authority",
    );
  }
  if (bytes.length < 164 || bytes.length > 32_768) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `image ${path} has ${bytes.length} bytes; an image ` + "has 164 to 32,768 bytes",
      "check that the file is a predist provisioning image",
    );
  }
  return new Uint8Array(bytes);
}

/** Loads timing overrides from a JSON config file ({ "baud": ..., "baseMs": ..., ... }). */
export function readTimingConfig(path: string): Partial<Timing> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new CliError(
      EXIT.INVALID_INPUT,
      `cannot read config ${path}: ${(error as Error).message}`,
      'give a JSON file such as {"baseMs": 800, "attempts": 10}',
    );
  }
  if (typeof parsed !== "object" || parsed === null) {
    throw new CliError(EXIT.INVALID_INPUT, `config ${path}: expected a JSON object`);
  }
  const out: Partial<Timing> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in DEFAULT_TIMING)) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `config ${path}: unknown key "${key}"`,
        `known keys: ${Object.keys(DEFAULT_TIMING).join(", ")}`,
      );
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
      throw new CliError(
        EXIT.INVALID_INPUT,
        `config ${path}: ${key} must be a number >= 0, ` + `got ${JSON.stringify(value)}`,
      );
    }
    (out as Record<string, number>)[key] = value;
  }
  return out;
}

async function runJob(
  job: Job,
  options: RunOptions,
  onProgress: (offset: number, total: number) => void,
): Promise<JobResult> {
  const started = performance.now();
  const open = options.open ?? openSerialLink;
  let link: Link | undefined;
  try {
    link = await open(job.port, options.timing.baud);
    const trace = options.trace
      ? (line: string) => options.err(`${job.port} ${line}\n`)
      : undefined;
    const session = new Session(link, options.timing, trace);
    const result = await flashImage(
      session,
      job.image,
      { onProgress },
      { chunkMax: options.chunkMax },
    );
    return {
      port: job.port,
      nodeId: job.nodeId,
      ok: true,
      exitCode: EXIT.OK,
      result,
      ms: performance.now() - started,
    };
  } catch (error) {
    if (!(error instanceof FlashError)) throw error;
    return {
      port: job.port,
      nodeId: job.nodeId,
      ok: false,
      errorClass: error.errorClass,
      exitCode: ERROR_EXIT[error.errorClass],
      message: error.message,
      hint: error.hint,
      ms: performance.now() - started,
    };
  } finally {
    await link?.close();
  }
}

function event(options: RunOptions, record: Record<string, unknown>): void {
  if (options.json) options.out(`${JSON.stringify(record)}\n`);
}

/** Runs every job in parallel; returns the results in job order. */
export async function runJobs(jobs: Job[], options: RunOptions): Promise<JobResult[]> {
  const bars =
    options.bars && !options.json
      ? new cliProgress.MultiBar(
          {
            format: " {port} [{bar}] {percentage}% {value}/{total} bytes {phase}",
            hideCursor: true,
            clearOnComplete: false,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
  const results = await Promise.all(
    jobs.map(async (job) => {
      event(options, {
        event: "begin",
        port: job.port,
        nodeId: job.nodeId ?? null,
        image: job.source,
        bytes: job.image.length,
      });
      const bar = bars?.create(job.image.length, 0, { port: job.port, phase: "" });
      let lastReported = -1;
      const result = await runJob(job, options, (offset, total) => {
        bar?.update(offset);
        if (offset !== lastReported) {
          lastReported = offset;
          event(options, {
            event: "progress",
            port: job.port,
            nodeId: job.nodeId ?? null,
            offset,
            total,
          });
        }
      });
      bar?.update(result.ok ? job.image.length : bar.getProgress() * job.image.length, {
        phase: result.ok ? "ok" : result.errorClass,
      });
      event(options, {
        event: "end",
        port: job.port,
        nodeId: job.nodeId ?? null,
        ok: result.ok,
        error: result.errorClass ?? null,
        exitCode: result.exitCode,
        message: result.message ?? null,
        digest: result.result ? Buffer.from(result.result.digest).toString("hex") : null,
        resumedFrom: result.result?.resumedFrom ?? null,
        alreadyActive: result.result?.alreadyActive ?? null,
        checked: result.result?.checked ?? null,
        roundTrips: result.result?.stats.roundTrips ?? null,
        retries: result.result?.stats.retries ?? null,
        ms: Math.round(result.ms),
      });
      return result;
    }),
  );
  bars?.stop();
  if (!options.json) options.out(summaryTable(results, options.color));
  return results;
}

const GREEN = "\x1b[32m";
const RED = "\x1b[31m";
const RESET = "\x1b[0m";

export function summaryTable(results: JobResult[], color: boolean): string {
  const rows = results.map((r) => [
    r.port,
    r.nodeId === undefined ? "-" : String(r.nodeId),
    r.ok
      ? r.result!.alreadyActive
        ? "ok (already active)"
        : r.result!.resumedFrom > 0
          ? `ok (resumed at ${r.result!.resumedFrom})`
          : "ok"
      : `FAILED ${r.errorClass} (exit ${r.exitCode})`,
    r.ok ? String(r.result!.stats.roundTrips) : "-",
    `${(r.ms / 1000).toFixed(2)} s`,
  ]);
  const head = ["port", "node", "result", "round trips", "time"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  const body = rows.map((row, i) => {
    const text = line(row);
    if (!color) return text;
    return `${results[i]!.ok ? GREEN : RED}${text}${RESET}`;
  });
  const failures = results
    .filter((r) => !r.ok)
    .map((r) => `  ${r.port}: ${r.message}${r.hint ? `\n    ${r.hint}` : ""}`);
  return (
    [line(head), ...body, ...(failures.length ? ["", "failures:", ...failures] : [])].join("\n") +
    "\n"
  );
}

/** First failure's exit code in job order, or 0. */
export function runExitCode(results: JobResult[]): ExitCode {
  return results.find((r) => !r.ok)?.exitCode ?? EXIT.OK;
}
