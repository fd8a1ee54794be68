/** `keyward auth-info`: who the API key belongs to and what it may do now (AuthService.GetAuthInfo). */
import type { Command } from "commander";
import { GetAuthInfoResponseSchema } from "../../gen/keyward/v1/auth_pb.js";
import { handle } from "./client.js";
import { examples } from "./help.js";
import { apiKeyBlock, jsonText, userBlock } from "./output.js";
import { shortRightName } from "./rights-flags.js";

export function addAuthInfoCommand(program: Command): Command {
  const command = program
    .command("auth-info")
    .alias("whoami")
    .description("show the calling key's user, the key (never its secret) and its effective rights")
    .addHelpText("after", examples("KEYWARD_API_KEY=NNSXS.… keyward auth-info", "keyward auth-info --api-key-file data/admin.key --json"));
  return handle(command, async (ctx) => {
    const response = await ctx.api.auth.getAuthInfo({});
    if (ctx.json) {
      ctx.print(jsonText(GetAuthInfoResponseSchema, response));
      return;
    }
    const sections = [
      response.user ? `User\n${indent(userBlock(response.user))}` : "",
      response.apiKey ? `API key\n${indent(apiKeyBlock(response.apiKey))}` : "",
      `Effective rights (expanded, within what the user may hold)\n${response.rights.map((r) => `  ${shortRightName(r, false)}\n`).join("") || "  (none)\n"}`,
    ];
    ctx.print(sections.filter((s) => s !== "").join("\n"));
  });
}

function indent(text: string): string {
  return text.replace(/^(?=.)/gm, "  ");
}
