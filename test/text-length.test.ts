// characterCount: code points as people count them, without copying the string, stopping past the cap.
import { expect } from "chai";
import fc from "fast-check";
import { characterCount } from "../src/text-length.js";

describe("characterCount", () => {
  it("counts code points: a surrogate pair is one character, a lone surrogate one too", () => {
    expect(characterCount("", 5)).to.equal(0);
    expect(characterCount("abc", 5)).to.equal(3);
    expect(characterCount("😀😀", 5)).to.equal(2);
    expect(characterCount("a\ud83d", 5)).to.equal(2);
    expect(characterCount("\ude00b", 5)).to.equal(2);
  });

  it("agrees with [...text].length up to the cap, and says cap + 1 beyond it", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 40 }), fc.nat({ max: 30 }), (text, cap) => {
        const real = [...text].length;
        expect(characterCount(text, cap)).to.equal(real > cap ? cap + 1 : real);
      }),
    );
  });
});
