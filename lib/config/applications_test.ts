import { assertEquals } from "../testing/assert.ts";
import { checkApplicationNames } from "./applications.ts";
import { loadConfig } from "./load_config.ts";

const yaml = (app: string) =>
  `node:
  role: acceptor
fix:
  listen: 127.0.0.1:9876
sessions:
  - beginString: FIX.4.4
    senderCompId: ISLD
    targetCompId: TW44
    application: ${app}
`;

Deno.test("checkApplicationNames() accepts built-in and registered names", () => {
  for (const app of ["echo", "executor", "router"]) {
    const config = loadConfig(yaml(app), { source: "t.yaml", env: {} });
    assertEquals(checkApplicationNames(config, "t.yaml", ["router"]), []);
  }
});

Deno.test("checkApplicationNames() refuses an unregistered name with line, suggestion and the known names", () => {
  const config = loadConfig(yaml("routr"), { source: "t.yaml", env: {} });
  const issues = checkApplicationNames(config, "t.yaml", ["router"]);
  assertEquals(issues.map((i) => [i.path, i.line, i.message]), [[
    "sessions[0].application",
    9,
    'Unknown application "routr" (did you mean "router"?); known: echo, executor, api, router. ' +
    "Register your own with runNode({ applications })",
  ]]);
});
