"""Problems: causes several incidents share, tracked to a fix and watched afterwards;
and recurrence monitoring, which proposes them."""
