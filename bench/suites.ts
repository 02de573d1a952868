// Every benchmark suite, registered by name. Each lives in its own file in this folder.
import { registerSuite } from "./main";

void registerSuite;
