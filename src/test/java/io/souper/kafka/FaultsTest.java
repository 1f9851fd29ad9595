package io.souper.kafka;

import io.souper.checkpoint.CheckpointErrorCode;
import io.souper.errors.SouperException;
import io.souper.kafka.Faults.Fault;
import io.souper.registry.RegistryUnavailableException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;

import static org.junit.jupiter.api.Assertions.assertEquals;

class FaultsTest {

    @Test
    void aRegistryOutageInsideADecodingErrorIsTheWorlds() {
        var outage = new SerializationException("cannot fetch schema 7",
                new RegistryUnavailableException("http://registry:8081 refused", new ConnectException("refused")));
        assertEquals(Fault.WORLD, Faults.classify(outage));
    }

    @Test
    void unreadableBytesAreTheRecords() {
        assertEquals(Fault.RECORD, Faults.classify(new SerializationException("Unknown magic byte 0x07")));
        // a truncated payload wraps an EOFException: still the record's, not a passing I/O fault
        assertEquals(Fault.RECORD, Faults.classify(new SerializationException("truncated", new EOFException())));
    }

    @Test
    void brokerHiccupsAndIoAreTheWorlds() {
        assertEquals(Fault.WORLD, Faults.classify(new NotLeaderOrFollowerException("moved")));
        assertEquals(Fault.WORLD, Faults.classify(new IOException("stale NFS handle")));
    }

    @Test
    void anAdaptersValidationIsTheRecords() {
        assertEquals(Fault.RECORD, Faults.classify(new Faults.RecordFaultException("INVALID_EVENT", "no key")));
    }

    @Test
    void aCodedFailureIsJudgedByItsCode() {
        assertEquals(Fault.RECORD, Faults.classify(new SouperException(CheckpointErrorCode.SHAPE_MISMATCH, "w")));
        assertEquals(Fault.WORLD, Faults.classify(new SouperException(CheckpointErrorCode.IO_ERROR, "stale handle")));
    }

    @Test
    void bugsAreNeitherRetriedNorDeadLettered() {
        assertEquals(Fault.BUG, Faults.classify(new NullPointerException("core bug")));
        assertEquals(Fault.BUG, Faults.classify(new IllegalStateException("impossible")));
        assertEquals(Fault.BUG, Faults.classify(new OutOfMemoryError()));
    }
}
