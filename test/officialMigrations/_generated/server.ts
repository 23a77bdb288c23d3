// The same generic builders as the test app.
export * from "../../app/_generated/server.js";
