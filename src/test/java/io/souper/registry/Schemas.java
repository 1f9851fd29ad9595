package io.souper.registry;

import org.apache.avro.Schema;

/** Small schemas for registry tests: v1 -> v2 adds a field with a default, v3 adds one without. */
final class Schemas {
    static final Schema V1 = parse("""
            {"type":"record","name":"Event","namespace":"test","fields":[
              {"name":"id","type":"string"}]}""");
    static final Schema V2 = parse("""
            {"type":"record","name":"Event","namespace":"test","fields":[
              {"name":"id","type":"string"},
              {"name":"score","type":"double","default":0.0}]}""");
    /** Adds a field without a default: new readers cannot read old data. */
    static final Schema V3_NO_DEFAULT = parse("""
            {"type":"record","name":"Event","namespace":"test","fields":[
              {"name":"id","type":"string"},
              {"name":"score","type":"double","default":0.0},
              {"name":"owner","type":"string"}]}""");
    /** V1 with docs: a different text, the same schema for the registry. */
    static final Schema V1_AGAIN_WITH_DOC = parse("""
            {"type":"record","name":"Event","namespace":"test","doc":"same as V1, only documented",
             "fields":[{"name":"id","type":"string","doc":"the id"}]}""");
    /** V1 plus "owner" with a default: latest of a history whose first version lacks owner. */
    static final Schema V1_WITH_OWNER_DEFAULT = parse("""
            {"type":"record","name":"Event","namespace":"test","fields":[
              {"name":"id","type":"string"},
              {"name":"owner","type":"string","default":"nobody"}]}""");
    /** V1 plus "owner" without a default: reads V1_WITH_OWNER_DEFAULT data, not V1 data. */
    static final Schema V1_WITH_OWNER_REQUIRED = parse("""
            {"type":"record","name":"Event","namespace":"test","fields":[
              {"name":"id","type":"string"},
              {"name":"owner","type":"string"}]}""");
    static final Schema OTHER = parse("""
            {"type":"record","name":"Other","namespace":"test","fields":[{"name":"n","type":"int"}]}""");

    private Schemas() {}

    static Schema parse(String json) {
        return new Schema.Parser().parse(json);
    }
}
