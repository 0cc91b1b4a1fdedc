// Size-only entry: exports the raw crypto core (assembly/crypto/index.ts) with no validating
// wrappers, so bench/crypto.bench.ts can weigh "the crypto core alone". Not a build target of
// asconfig.json; the bench compiles it to a temporary file.
export * from "./index";
