"""Writers and readers of the formats Earwitness exchanges with other tools (BagIt, ...)."""
