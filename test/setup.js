// The engine's jest matchers (toHaveResourceWithProperties, ...), from the one framework seam.
const { Testing } = require("../stacks/engine");
Testing.setupJest();
