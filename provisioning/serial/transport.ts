// Serial transport on the real serialport bindings: opens a port as a Link for the flash session
// and lists ports. Open failures become FlashError("no-device") naming the port and the cause;
// a port that closes or fails under us (a cable pulled) is reported to the session through
// onClose. Modem lines are never touched (they fail on a pty with ENOTTY).

import { SerialPort } from "serialport";
import { FlashError, type Link } from "../flash/session.js";

export const DEFAULT_BAUD = 115_200;

export async function openSerialLink(path: string, baudRate = DEFAULT_BAUD): Promise<Link> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((error) => {
      if (error) {
        reject(
          new FlashError(
            "no-device",
            `cannot open serial port ${path}: ${error.message}`,
            "check the path with `predist ports`, or start virtual nodes with `predist emulate`",
          ),
        );
      } else {
        resolve();
      }
    });
  });
  const closeListeners: ((reason: string) => void)[] = [];
  let closing = false;
  const lost = (reason: string): void => {
    if (closing) return;
    for (const listener of closeListeners) listener(reason);
  };
  port.on("close", (error?: Error & { disconnected?: boolean }) => {
    lost(error?.disconnected ? "the device disconnected" : "the port was closed");
  });
  port.on("error", (error: Error) => lost(error.message));
  return {
    write(bytes) {
      return new Promise((resolve, reject) => {
        port.write(Buffer.from(bytes), (error) => {
          if (error) reject(error);
          else port.drain((drainError) => (drainError ? reject(drainError) : resolve()));
        });
      });
    },
    onData(listener) {
      port.on("data", (chunk: Buffer) => listener(new Uint8Array(chunk)));
    },
    onClose(listener) {
      closeListeners.push(listener);
    },
    close() {
      closing = true;
      return new Promise((resolve) => {
        if (!port.isOpen) {
          resolve();
          return;
        }
        port.close(() => resolve());
      });
    },
  };
}

export interface PortInfo {
  path: string;
  manufacturer?: string;
  serialNumber?: string;
  vendorId?: string;
  productId?: string;
}

/** SerialPort.list(); throws FlashError("no-device") when the system cannot enumerate ports. */
export async function listPorts(): Promise<PortInfo[]> {
  try {
    const ports = await SerialPort.list();
    return ports.map((p) => ({
      path: p.path,
      manufacturer: p.manufacturer,
      serialNumber: p.serialNumber,
      vendorId: p.vendorId,
      productId: p.productId,
    }));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const cause =
      code === "ENOENT"
        ? "udevadm is not installed (no udev on this system)"
        : (error as Error).message;
    throw new FlashError(
      "no-device",
      `cannot enumerate serial ports: ${cause}`,
      "name the port directly with --port /dev/ttyUSB0 (or a pty from `predist emulate`)",
    );
  }
}
