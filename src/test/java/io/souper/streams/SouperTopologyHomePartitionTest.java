package io.souper.streams;

/**
 * {@link SouperTopologyTest}'s cases with the soups' placement known: the records the test driver pipes
 * (every topic has one partition) are on their soup's partition and go straight to the soup, except
 * those without a key, which still take the repartition topic.
 */
class SouperTopologyHomePartitionTest extends SouperTopologyTest {

    @Override
    SoupPlacement placement() {
        return SoupPlacement.of(1);
    }
}
