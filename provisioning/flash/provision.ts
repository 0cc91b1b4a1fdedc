// `predist provision`: for each port, take a node ID from the store (or the unfinished ID this
// station last tried on that port, so a rerun resumes the same image), build the node's image
// with the unsealed authority, flash it with the end-of-line check, and record the result:
// flashed after COMMIT, verified after CHECK, in the store's journal. The authority's master is
// destroyed when the run ends; images are never written to disk.

import { buildImage, type Authority } from "../../host/authority/index.js";
import { mmoHash } from "../../host/crypto/index.js";
import { openAuthority, requireAuthority, type KekOptions } from "../custody/index.js";
import { openStore, type Store } from "../store/index.js";
import { EXIT, type ExitCode } from "../errors.js";
import { runExitCode, runJobs, type Job, type JobResult, type RunOptions } from "./run.js";

export interface ProvisionOptions {
  db: string;
  station?: string;
  ports: string[];
  kek: KekOptions;
  dryRun: boolean;
  run: RunOptions;
}

async function idFor(
  store: Store,
  port: string,
  scheme: string,
  station?: string,
): Promise<{ nodeId: number; resumed: boolean }> {
  const unfinished = await store.unfinished(station);
  const previous = unfinished.find((node) => node.port === port && node.state === "planned");
  if (previous !== undefined) return { nodeId: previous.nodeId, resumed: true };
  const record = await store.allocateNode({ scheme, port });
  return { nodeId: record.nodeId, resumed: false };
}

/** Runs a provisioning batch; returns the exit code (the first failed port's, or 0). */
export async function provision(options: ProvisionOptions): Promise<ExitCode> {
  const store = await openStore({ path: options.db, station: options.station });
  let authority: Authority | undefined;
  try {
    const { record } = await requireAuthority(store);
    const scheme = String((record.params as { scheme?: unknown }).scheme ?? "unknown");
    if (options.dryRun) {
      const unfinished = await store.unfinished(options.station);
      for (const port of options.ports) {
        const again = unfinished.find((n) => n.port === port && n.state === "planned");
        const plan = {
          event: "plan",
          port,
          scheme,
          nodeId: again?.nodeId ?? null,
          note: again ? "resumes the unfinished node ID" : "takes the next node ID",
        };
        options.run.out(
          options.run.json
            ? `${JSON.stringify(plan)}\n`
            : `${port}: ${scheme} image, ${plan.note}${again ? ` ${again.nodeId}` : ""}\n`,
        );
      }
      if (!options.run.json) options.run.out("dry run: no port opened, no ID taken\n");
      return EXIT.OK;
    }
    authority = (await openAuthority(store, options.kek)).authority;
    const jobs: Job[] = [];
    for (const port of options.ports) {
      const { nodeId } = await idFor(store, port, scheme, options.station);
      jobs.push({ port, nodeId, image: buildImage(authority, nodeId), source: `node ${nodeId}` });
    }
    const results: JobResult[] = await runJobs(jobs, options.run);
    for (const [i, result] of results.entries()) {
      const job = jobs[i]!;
      await store
        .journal("flash-attempt", {
          nodeId: job.nodeId,
          detail: {
            port: job.port,
            ok: result.ok,
            error: result.errorClass ?? null,
            resumedFrom: result.result?.resumedFrom ?? null,
          },
        })
        .catch(() => undefined);
      if (!result.ok) continue;
      const digest = Buffer.from(mmoHash(job.image)).toString("hex");
      await store.markFlashed(job.nodeId!, { imageDigest: digest, port: job.port });
      if (result.result!.checked) await store.markVerified(job.nodeId!);
      job.image.fill(0);
    }
    return runExitCode(results);
  } finally {
    authority?.destroy();
    await store.close();
  }
}
