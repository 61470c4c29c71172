/** Writes `config.example.yaml` from the schema (run from the repository root). */
import { renderTandemExample } from "./example.ts";

if (import.meta.main) {
  await Deno.writeTextFile("config.example.yaml", renderTandemExample());
}
