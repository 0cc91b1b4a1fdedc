// `predist emulate`: virtual nodes on real pseudo-terminals. For each node one socat process
// makes a pty pair (`pty,raw,echo=0,link=...`); this process drives the node end with a
// VirtualNode (the real node.wasm) through the serialport bindings, and the other end is what
// the user passes to `predist flash --port`. Flash lives in <dir>/node<i>.flash, so a restart
// keeps what was flashed.

import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { SerialPort } from "serialport";
import { VirtualNode, type VirtualNodeOptions } from "./virtual.js";

/** How long socat may take to create its pty links before we give up. */
const SOCAT_START_MS = 5_000;
const SOCAT_POLL_MS = 20;

export interface EmulatedPort {
  index: number;
  /** What the user opens: the pty the link points to (/dev/pts/N). */
  port: string;
  /** The stable symlink to it inside the directory. */
  link: string;
  flashFile: string;
  virtual: VirtualNode;
}

export interface Emulation {
  ports: EmulatedPort[];
  stop(): Promise<void>;
}

export interface EmulateOptions {
  count: number;
  dir: string;
  /** Per-node options (faults); called with the node index. */
  nodeOptions?: (index: number) => Omit<VirtualNodeOptions, "flashFile" | "id">;
}

async function waitFor(paths: string[], child: ChildProcess): Promise<void> {
  const deadline = Date.now() + SOCAT_START_MS;
  while (!paths.every((p) => existsSync(p))) {
    if (child.exitCode !== null) {
      throw new Error(`socat exited with code ${child.exitCode} before creating ${paths[0]}`);
    }
    if (Date.now() > deadline) throw new Error(`socat did not create ${paths.join(", ")}`);
    await new Promise((resolve) => setTimeout(resolve, SOCAT_POLL_MS));
  }
}

/** Starts `count` virtual nodes in `dir`; stop() ends the socat processes and closes flash. */
export async function startEmulation(options: EmulateOptions): Promise<Emulation> {
  mkdirSync(options.dir, { recursive: true });
  const children: ChildProcess[] = [];
  const nodePorts: SerialPort[] = [];
  const ports: EmulatedPort[] = [];
  const stop = async (): Promise<void> => {
    for (const port of nodePorts) {
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    }
    for (const child of children) {
      if (child.exitCode === null) child.kill("SIGTERM");
    }
    for (const entry of ports) entry.virtual.close();
  };
  try {
    for (let i = 0; i < options.count; i++) {
      const nodeEnd = join(options.dir, `node${i}.pty`);
      const hostEnd = join(options.dir, `port${i}`);
      const child = spawn(
        "socat",
        [`pty,raw,echo=0,link=${nodeEnd}`, `pty,raw,echo=0,link=${hostEnd}`],
        { stdio: "ignore" },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", (error) =>
          reject(
            new Error(
              `cannot start socat: ${error.message}; ` +
                "install it (Debian: apt-get install socat)",
            ),
          ),
        );
      });
      await waitFor([nodeEnd, hostEnd], child);
      const flashFile = join(options.dir, `node${i}.flash`);
      const virtual = new VirtualNode({ ...options.nodeOptions?.(i), id: i, flashFile });
      const serial = new SerialPort({ path: nodeEnd, baudRate: 115_200, autoOpen: false });
      await new Promise<void>((resolve, reject) =>
        serial.open((error) => (error ? reject(error) : resolve())),
      );
      nodePorts.push(serial);
      serial.on("data", (chunk: Buffer) => virtual.input(new Uint8Array(chunk)));
      serial.on("error", () => {});
      virtual.onOutput((bytes) => serial.write(Buffer.from(bytes)));
      ports.push({ index: i, port: realpathSync(hostEnd), link: hostEnd, flashFile, virtual });
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, stop };
}
