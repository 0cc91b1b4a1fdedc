// Commands of the factory serial area: `predist flash` (images to nodes over serial, many ports
// in parallel), `predist emulate` (virtual nodes on pseudo-terminals), `predist ports` (serial
// ports with their USB identity). docs/flash-protocol.md describes the protocol, the timeouts
// and the exit codes per failure class.

import { Command, InvalidArgumentError } from "commander";
import { resolve } from "node:path";
import { GROUP } from "../cli.js";
import { CliError, EXIT } from "../errors.js";
import { DEFAULT_TIMING, FlashError, type Timing } from "../flash/session.js";
import { readImage, readTimingConfig, runExitCode, runJobs, type Job } from "../flash/run.js";
import { listPorts } from "../serial/transport.js";
import { startEmulation } from "../serial/emulate.js";
import { provision } from "../flash/provision.js";
import { DEFAULT_DB } from "../store/index.js";

const EMULATE_COUNT_MAX = 64;

function number(min: number, max: number, integer = true): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (
      value.trim() === "" ||
      !Number.isFinite(n) ||
      n < min ||
      n > max ||
      (integer && !Number.isInteger(n))
    ) {
      throw new InvalidArgumentError(
        `expected ${integer ? "an integer" : "a number"} from ` + `${min} to ${max}.`,
      );
    }
    return n;
  };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function useColor(json: boolean): boolean {
  return !json && process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
}

interface FlashFlags {
  port: string[];
  json: boolean;
  trace: boolean;
  dryRun: boolean;
  baud: number;
  retries?: number;
  timeoutBaseMs?: number;
  timeoutScale?: number;
  chunk?: number;
  config?: string;
}

function timingFrom(flags: FlashFlags): Timing {
  const fromFile = flags.config === undefined ? {} : readTimingConfig(flags.config);
  const timing: Timing = { ...DEFAULT_TIMING, ...fromFile };
  timing.baud = flags.baud ?? timing.baud;
  if (flags.retries !== undefined) timing.attempts = flags.retries + 1;
  if (flags.timeoutBaseMs !== undefined) timing.baseMs = flags.timeoutBaseMs;
  if (flags.timeoutScale !== undefined) timing.scale = flags.timeoutScale;
  return timing;
}

function planJobs(ports: string[], images: string[]): Job[] {
  if (ports.length === 0) {
    throw new CliError(
      EXIT.USAGE,
      "no --port given",
      "name each node's serial port: --port /dev/ttyUSB0 --port /dev/ttyUSB1",
    );
  }
  if (images.length !== 1 && images.length !== ports.length) {
    throw new CliError(
      EXIT.USAGE,
      `${images.length} images for ${ports.length} ports`,
      "give one image per port (in the same order), or one image for every port",
    );
  }
  const duplicate = ports.find((p, i) => ports.indexOf(p) !== i);
  if (duplicate !== undefined) {
    throw new CliError(EXIT.USAGE, `port ${duplicate} is given twice`, "name each port once");
  }
  return ports.map((port, i) => {
    const source = images[images.length === 1 ? 0 : i]!;
    return { port, image: readImage(source), source };
  });
}

/** Port, output and timing options shared by `flash` and `provision`. */
function addLineOptions(command: Command): Command {
  return command
    .option("-p, --port <path>", "serial port of a node; repeat for more ports", collect, [])
    .option("--json", "one JSON event per line (begin, progress, end) instead of bars", false)
    .option("--trace", "timestamped wire trace on stderr (image data by length and digest)", false)
    .option("--dry-run", "plan: check images and ports, print the plan, open nothing", false)
    .option(
      "--baud <rate>",
      "line rate; also scales the timeouts",
      number(1200, 4_000_000),
      DEFAULT_TIMING.baud,
    )
    .option(
      "--retries <n>",
      `retries per request (default: ${DEFAULT_TIMING.attempts - 1})`,
      number(0, 100),
    )
    .option(
      "--timeout-base-ms <ms>",
      `fixed part of every timeout (default: ` + `${DEFAULT_TIMING.baseMs})`,
      number(1, 600_000),
    )
    .option("--timeout-scale <x>", "multiply every timeout (default: 1)", number(0.01, 1000, false))
    .option(
      "--chunk <bytes>",
      "largest WRITE chunk (default: the node's own limit)",
      number(16, 65_535),
    )
    .option(
      "--config <file>",
      "JSON file of timing overrides, keys: " +
        `${Object.keys(DEFAULT_TIMING).join(", ")} (default: none)`,
    );
}

function registerFlash(program: Command): void {
  addLineOptions(
    program
      .command("flash")
      .helpGroup(GROUP.provision)
      .summary("write provisioning images to nodes over serial, verified end to end")
      .description(
        "Write one provisioning image per port (or one image to every port) over the flash " +
          "protocol: the node stages it in its inactive slot, verifies digest, CRC-32 and CMAC " +
          "trailer, commits it atomically, then answers an end-of-line challenge. An interrupted " +
          "transfer resumes where the node stopped. Ports run in parallel.",
      )
      .argument("<image...>", "image files built by the authority (one per port, or one for all)"),
  )
    .addHelpText(
      "after",
      `
Examples:
  predist flash --port /dev/ttyUSB0 node-17.img
  predist flash --json --port /dev/pts/3 --port /dev/pts/5 node-1.img node-2.img

Exit codes: 4 no device, 5 sync failed (no answer, other protocol version), 6 transfer failed
after retries, 7 verify mismatch (read-back or end-of-line), 8 node refused the image.`,
    )
    .action(async (images: string[], flags: FlashFlags) => {
      const timing = timingFrom(flags);
      const jobs = planJobs(flags.port, images);
      if (flags.dryRun) {
        const plan = jobs.map((j) => ({
          port: j.port,
          image: resolve(j.source),
          bytes: j.image.length,
          writes: Math.ceil(j.image.length / (flags.chunk ?? 1024)),
        }));
        if (flags.json) {
          for (const p of plan) {
            process.stdout.write(`${JSON.stringify({ event: "plan", ...p })}\n`);
          }
        } else {
          for (const p of plan) {
            process.stdout.write(
              `${p.port}: ${p.image} (${p.bytes} bytes, ${p.writes} writes ` +
                "at the default chunk)\n",
            );
          }
          process.stdout.write("dry run: no port was opened\n");
        }
        return;
      }
      const results = await runJobs(jobs, {
        timing,
        json: flags.json,
        trace: flags.trace,
        bars: process.stderr.isTTY === true && !flags.json,
        color: useColor(flags.json),
        out: (text) => process.stdout.write(text),
        err: (text) => process.stderr.write(text),
        chunkMax: flags.chunk,
      });
      const code = runExitCode(results);
      if (code !== EXIT.OK) process.exitCode = code;
    });
}

interface ProvisionFlags extends FlashFlags {
  db: string;
  station?: string;
  share: string[];
}

function registerProvision(program: Command): void {
  addLineOptions(
    program
      .command("provision")
      .helpGroup(GROUP.provision)
      .summary("take node IDs, build their images, flash, verify and record them")
      .description(
        "For each --port: take the next node ID from the store (or the ID this station left " +
          "unfinished on that port, so a rerun resumes), build the node's image with the " +
          "unsealed authority, flash it with the end-of-line check, and record it as flashed and " +
          "verified " +
          "in the store's journal. Ports run in parallel. Images never touch the disk.",
      ),
  )
    .option("--db <file>", "the store file", DEFAULT_DB)
    .option("--station <name>", "station name written into the journal (default: host name)")
    .option(
      "--share <file>",
      "a KEK share file; repeat up to the threshold (default: the " +
        "unseal session, else the prompt)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      `
Examples:
  predist provision --port /dev/ttyUSB0 --port /dev/ttyUSB1
  predist provision --db line2.db --share a.share --share b.share --json --port /dev/pts/4

Exit codes as for flash (4-8), plus 9 store and 10 sealed authority.`,
    )
    .action(async (flags: ProvisionFlags) => {
      if (flags.port.length === 0) {
        throw new CliError(
          EXIT.USAGE,
          "no --port given",
          "name each node's serial port: --port /dev/ttyUSB0 --port /dev/ttyUSB1",
        );
      }
      const code = await provision({
        db: flags.db,
        station: flags.station,
        ports: flags.port,
        dryRun: flags.dryRun,
        kek: { dbPath: flags.db, shareFiles: flags.share, prompt: !flags.json },
        run: {
          timing: timingFrom(flags),
          json: flags.json,
          trace: flags.trace,
          bars: process.stderr.isTTY === true && !flags.json,
          color: useColor(flags.json),
          out: (text) => process.stdout.write(text),
          err: (text) => process.stderr.write(text),
          chunkMax: flags.chunk,
        },
      });
      if (code !== EXIT.OK) process.exitCode = code;
    });
}

interface EmulateFlags {
  count: number;
  dir: string;
  drop: number;
  flip: number;
  duplicate: number;
  powerCutAt?: number;
  fakeVersion?: number;
  garbage: boolean;
  seed: string;
  lineRate: number;
  json: boolean;
}

function registerEmulate(program: Command): void {
  program
    .command("emulate")
    .helpGroup(GROUP.provision)
    .summary("start virtual nodes (the real firmware) on pseudo-terminals")
    .description(
      "Start N emulated nodes running build/node.wasm, each behind a pseudo-terminal pair made " +
        "by socat, and print the ports to pass to `predist flash --port`. Flash is kept in " +
        "<dir>/node<i>.flash, so a restart keeps what was flashed. Runs until interrupted. " +
        "Fault options are for tests.",
    )
    .option("-n, --count <n>", "number of nodes", number(1, EMULATE_COUNT_MAX), 1)
    .option("-d, --dir <dir>", "directory of the pty links and flash files", "predist-nodes")
    .option(
      "--drop <rate>",
      "line fault: drop each byte with this probability",
      number(0, 1, false),
      0,
    )
    .option(
      "--flip <rate>",
      "line fault: flip one bit of each byte with this probability",
      number(0, 1, false),
      0,
    )
    .option(
      "--duplicate <rate>",
      "line fault: send each byte twice with this probability",
      number(0, 1, false),
      0,
    )
    .option(
      "--power-cut-at <n>",
      "cut power at the node's Nth flash write or erase, then reboot " + "(default: never)",
      number(1, 1_000_000),
    )
    .option(
      "--fake-version <v>",
      "claim this protocol version in HELLO (default: the real one)",
      number(0, 255),
    )
    .option("--garbage", "answer every frame with random bytes", false)
    .option("--seed <text>", "seed of the fault generator", "predist")
    .option(
      "--line-rate <baud>",
      "model a UART at this rate: bytes arrive when they would " +
        "have crossed the line; 0 is as fast as the pty",
      number(0, 4_000_000),
      0,
    )
    .option("--json", "one JSON object per node, then a ready event, one per line", false)
    .addHelpText(
      "after",
      `
Examples:
  predist emulate --count 4 --dir /tmp/nodes
  predist emulate --dir /tmp/noisy --drop 0.01 --flip 0.01 --duplicate 0.01`,
    )
    .action(async (flags: EmulateFlags) => {
      const emulation = await startEmulation({
        count: flags.count,
        dir: flags.dir,
        nodeOptions: () => ({
          faults: { drop: flags.drop, flip: flags.flip, duplicate: flags.duplicate },
          powerCutAt: flags.powerCutAt,
          fakeVersion: flags.fakeVersion,
          garbage: flags.garbage,
          seed: flags.seed,
          lineRate: flags.lineRate,
        }),
      }).catch((error: Error) => {
        throw new CliError(
          EXIT.NO_DEVICE,
          `cannot start virtual nodes: ${error.message}`,
          "check that socat is installed and that build/node.wasm exists (npm run build)",
        );
      });
      for (const p of emulation.ports) {
        process.stdout.write(
          flags.json
            ? `${JSON.stringify({
                event: "node",
                index: p.index,
                port: p.port,
                link: p.link,
                flashFile: p.flashFile,
              })}\n`
            : `node ${p.index}: ${p.port} (link ${p.link}, flash ${p.flashFile})\n`,
        );
      }
      process.stdout.write(
        flags.json
          ? `${JSON.stringify({ event: "ready", count: emulation.ports.length })}\n`
          : `ready: flash with predist flash --port ${emulation.ports[0]!.port} ` +
              "IMAGE; Ctrl-C stops\n",
      );
      await new Promise<void>((resolveStop) => {
        const stop = (): void => resolveStop();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await emulation.stop();
    });
}

function registerPorts(program: Command): void {
  program
    .command("ports")
    .helpGroup(GROUP.inspect)
    .summary("list serial ports with their USB identity")
    .description(
      "List the serial ports the system enumerates (SerialPort.list), with USB " +
        "vendor and product IDs, manufacturer and serial number where known.",
    )
    .option("--json", "one JSON array instead of a table", false)
    .addHelpText(
      "after",
      `
Examples:
  predist ports
  predist ports --json`,
    )
    .action(async (flags: { json: boolean }) => {
      let ports;
      try {
        ports = await listPorts();
      } catch (error) {
        if (error instanceof FlashError) {
          throw new CliError(EXIT.NO_DEVICE, error.message, error.hint);
        }
        throw error;
      }
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(ports)}\n`);
        return;
      }
      if (ports.length === 0) {
        process.stdout.write("no serial ports found; virtual ones: predist emulate\n");
        return;
      }
      for (const p of ports) {
        const usb = p.vendorId ? `${p.vendorId}:${p.productId ?? "?"}` : "-";
        process.stdout.write(
          `${p.path}  usb ${usb}  ${p.manufacturer ?? "-"}  ` + `serial ${p.serialNumber ?? "-"}\n`,
        );
      }
    });
}

export function registerSerialCommands(program: Command): void {
  registerFlash(program);
  registerProvision(program);
  registerEmulate(program);
  registerPorts(program);
}
