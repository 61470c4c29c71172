// Test helper run as a child process: an echo acceptor whose sessions live in a
// journal in the directory given as the first argument. Prints its port.
import { Journal } from "../journal/mod.ts";
import { Acceptor } from "./acceptor.ts";
import { echoApplication } from "./echo_application.ts";
import { JournalSessionStore } from "./journal_store.ts";

const journal = await Journal.open(Deno.args[0]!, { syncPolicy: "none" });
const acceptor = new Acceptor({
  sessions: [{ beginString: "FIX.4.4", senderCompId: "ISLD", targetCompId: "TW" }],
  store: new JournalSessionStore(journal),
  application: echoApplication(),
  logger: () => {},
}).listen();
console.log(acceptor.port);
