/**
 * One contract suite for every {@linkcode JournalStorage} implementation.
 */
import { assert, assertEquals, assertThrows } from "../testing/assert.ts";
import { FileStorage } from "./file_storage.ts";
import { MemoryStorage } from "./memory_storage.ts";
import { type JournalStorage, readFully, readWholeFile } from "./storage.ts";

interface Subject {
  name: string;
  make: () => Promise<{ storage: JournalStorage; cleanup: () => Promise<void> }>;
}

const subjects: Subject[] = [
  {
    name: "FileStorage",
    make: async () => {
      const dir = await Deno.makeTempDir({ prefix: "tandem-storage-" });
      return {
        storage: new FileStorage(dir),
        cleanup: () => Deno.remove(dir, { recursive: true }),
      };
    },
  },
  {
    name: "MemoryStorage",
    make: () => Promise.resolve({ storage: new MemoryStorage(), cleanup: () => Promise.resolve() }),
  },
];

const bytes = (...values: number[]) => Uint8Array.from(values);

for (const subject of subjects) {
  const test = (what: string, fn: (storage: JournalStorage) => Promise<void> | void) =>
    Deno.test(`${subject.name} ${what}`, async () => {
      const { storage, cleanup } = await subject.make();
      try {
        await fn(storage);
      } finally {
        await cleanup();
      }
    });

  test("appends at the end and reads back at any offset", async (storage) => {
    const w = storage.openWriter("a.seg", { create: true });
    assertEquals(w.size(), 0);
    w.append(bytes(1, 2, 3));
    w.append(bytes(4, 5));
    assertEquals(w.size(), 5);
    await w.sync();
    w.syncSync();
    const r = storage.openReader("a.seg");
    assertEquals(r.size(), 5);
    const buf = new Uint8Array(3);
    assertEquals(readFully(r, 2, buf), 3);
    assertEquals(buf, bytes(3, 4, 5));
    assertEquals(readFully(r, 4, new Uint8Array(10)), 1, "short at end of file");
    assertEquals(r.readAt(5, new Uint8Array(1)), 0, "0 at end of file");
    r.close();
    w.close();
    w.close(); // idempotent
  });

  test("reopens an existing file for appending at its end", (storage) => {
    const w = storage.openWriter("b", { create: true });
    w.append(bytes(9, 9));
    w.close();
    const again = storage.openWriter("b", { create: false });
    assertEquals(again.size(), 2);
    again.append(bytes(7));
    again.close();
    assertEquals(readWholeFile(storage, "b"), bytes(9, 9, 7));
  });

  test("truncates, and appends continue from the cut", (storage) => {
    const w = storage.openWriter("c", { create: true });
    w.append(bytes(1, 2, 3, 4, 5));
    w.truncate(2);
    assertEquals(w.size(), 2);
    w.append(bytes(8));
    w.close();
    assertEquals(readWholeFile(storage, "c"), bytes(1, 2, 8));
  });

  test("lists, renames, removes, and reports missing files", (storage) => {
    storage.openWriter("x", { create: true }).close();
    storage.openWriter("y", { create: true }).close();
    assertEquals(storage.list().sort(), ["x", "y"]);
    storage.rename("x", "z");
    assert(!storage.exists("x") && storage.exists("z"));
    storage.remove("z");
    assertEquals(storage.list(), ["y"]);
    assertThrows(() => storage.openReader("nope"));
    assertThrows(() => storage.openWriter("nope", { create: false }));
    assertThrows(() => storage.remove("nope"));
    storage.syncDirectory();
  });

  test("rename replaces the target", (storage) => {
    const a = storage.openWriter("a", { create: true });
    a.append(bytes(1));
    a.close();
    const b = storage.openWriter("b", { create: true });
    b.append(bytes(2, 2));
    b.close();
    storage.rename("a", "b");
    assertEquals(readWholeFile(storage, "b"), bytes(1));
    assertEquals(storage.list(), ["b"]);
  });

  test("a reader sees appends made after it was opened", (storage) => {
    const w = storage.openWriter("d", { create: true });
    const r = storage.openReader("d");
    w.append(bytes(5, 6));
    assertEquals(r.size(), 2);
    const buf = new Uint8Array(2);
    assertEquals(readFully(r, 0, buf), 2);
    assertEquals(buf, bytes(5, 6));
    r.close();
    w.close();
  });

  test("creates a file under a relative sub-directory", (storage) => {
    const w = storage.openWriter("quarantine/q-1.tndm", { create: true });
    w.append(bytes(1));
    w.close();
    assertEquals(readWholeFile(storage, "quarantine/q-1.tndm"), bytes(1));
    assert(storage.exists("quarantine/q-1.tndm"));
    assertEquals(storage.list(), [], "files in sub-directories are not listed");
  });

  test("a closed handle refuses use", (storage) => {
    const w = storage.openWriter("e", { create: true });
    w.close();
    assertThrows(() => w.append(bytes(1)));
  });
}

Deno.test("MemoryStorage.crash() keeps synced bytes and drops (or keeps part of) the rest", async () => {
  const storage = new MemoryStorage();
  const w = storage.openWriter("f", { create: true });
  w.append(bytes(1, 2, 3));
  await w.sync();
  w.append(bytes(4, 5, 6));
  assertEquals(storage.crash().fileBytes("f"), bytes(1, 2, 3));
  assertEquals(storage.crash(() => 2).fileBytes("f"), bytes(1, 2, 3, 4, 5));
});

Deno.test("MemoryStorage injects torn writes, short reads and failing syncs", async () => {
  const storage = new MemoryStorage();
  const w = storage.openWriter("g", { create: true });
  storage.tearNextAppendAtBytes = 2;
  assertThrows(() => w.append(bytes(1, 2, 3, 4)), Deno.errors.WriteZero);
  assertEquals(storage.fileBytes("g"), bytes(1, 2));
  storage.maxReadBytes = 1;
  const r = storage.openReader("g");
  assertEquals(r.readAt(0, new Uint8Array(2)), 1);
  const buf = new Uint8Array(2);
  assertEquals(readFully(r, 0, buf), 2, "readFully loops over short reads");
  storage.failSyncs = true;
  let failed = false;
  await w.sync().catch(() => (failed = true));
  assert(failed);
  assertThrows(() => w.syncSync());
});
