import { assertEquals, assertNotEquals } from "../testing/assert.ts";
import { encodeMessage } from "../fix/encoder.ts";
import { decodeMessage } from "../fix/message.ts";
import { builtinDictionary } from "../fix/dictionary/builtin_dictionary.ts";
import { validateMessage } from "../fix/dictionary/validate_message.ts";
import { dictionaryValidator } from "./validation.ts";

const HEADER: [number, string][] = [[34, "2"], [49, "TW"], [52, "20261124-12:00:00"], [56, "ISLD"]];
const NONE = { applVerId: undefined };

Deno.test("dictionaryValidator() applies partial options over the defaults, for every message", () => {
  const unknownTag = decodeMessage(encodeMessage("FIX.4.4", "0", [...HEADER, [5001, "x"]]));
  const strict = dictionaryValidator("FIX.4.4");
  const lenient = dictionaryValidator("FIX.4.4", { options: { checkUserDefinedFields: false } });
  for (let round = 0; round < 3; round++) {
    assertNotEquals(strict(unknownTag, NONE), undefined);
    assertEquals(lenient(unknownTag, NONE), undefined);
  }
});

Deno.test("dictionaryValidator() on FIXT.1.1 checks each message against its own ApplVerID's dictionary, however they alternate", () => {
  const transport = builtinDictionary("FIXT.1.1");
  const validate = dictionaryValidator("FIXT.1.1");
  const versions: Record<string, string> = {
    "6": "FIX.4.4",
    "7": "FIX.5.0",
    "8": "FIX.5.0SP1",
    "9": "FIX.5.0SP2",
  };
  // ExposureDuration (1629) is a NewOrderSingle field from FIX.5.0SP2 on, MatchIncrement (1089)
  // from FIX.5.0: each order is valid under some of the versions only
  for (const tag of [1629, 1089]) {
    const order = decodeMessage(encodeMessage("FIXT.1.1", "D", [
      ...HEADER,
      [11, "A"],
      [55, "X"],
      [54, "1"],
      [60, "20261124-12:00:00"],
      [40, "1"],
      [tag, "1"],
    ]));
    const answers = new Set<string>();
    for (const id of ["9", "7", "9", "6", "8", "7", "6", "9", "6"]) {
      const application = builtinDictionary(versions[id]!);
      const expected = validateMessage(order, { transport, application });
      answers.add(JSON.stringify(expected));
      assertEquals(validate(order, { applVerId: id }), expected, `tag ${tag}, ApplVerID ${id}`);
    }
    assertEquals(answers.size, 2, "the versions disagree about the order");
  }
});
