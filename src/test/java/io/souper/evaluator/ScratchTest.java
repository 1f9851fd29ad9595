package io.souper.evaluator;

import ai.djl.*;
import ai.djl.ndarray.*;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.*;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.*;
import ai.djl.pytorch.jni.*;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import java.nio.file.*;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScratchTest {
    @Test
    void explore() throws Exception {
        for (String p : new String[] {"/tmp/bn.pt", "/tmp/bn_plain.pt", "models/fmnist_cnn.pt"}) {
            Model model = Model.newInstance("x", Device.cpu(), "PyTorch");
            Path pp = Paths.get(p).toAbsolutePath(); model.load(pp.getParent(), pp.getFileName().toString(), Map.of("trainParam", "true", "mapLocation", "true"));
            PtSymbolBlock block = (PtSymbolBlock) model.getBlock();
            System.out.println(p + " methods " + String.join(",", JniUtils.getMethodNames(block)));
            for (Pair<String, Parameter> e : block.getParameters()) {
                NDArray a = e.getValue().getArray();
                System.out.println(e.getKey() + " " + a.getShape() + " " + a.getDataType() + " grad=" + a.hasGradient() + " dev=" + a.getDevice());
            }
            NDManager m = model.getNDManager();
            if (p.equals("/tmp/bn.pt")) {
                IValue r = IValueUtils.runMethod(block, "souper_buffers");
                Map<String, IValue> mp = r.toIValueMap();
                for (var e : mp.entrySet()) {
                    PtNDArray t = e.getValue().toTensor((PtNDManager) m);
                    System.out.println("buf " + e.getKey() + " " + t.getShape() + " " + t.getDataType() + " " + t);
                    if (e.getKey().endsWith("running_var")) {
                        t.set(new NDIndex("..."), m.full(t.getShape(), 7f));
                    }
                }
                IValue r2 = IValueUtils.runMethod(block, "souper_buffers");
                System.out.println("after: " + r2.toIValueMap().get("features.1.running_var").toTensor((PtNDManager) m));
            }
            // set a parameter via index put
            Parameter first = block.getParameters().get(1).getValue();
            NDArray arr = first.getArray();
            arr.set(new NDIndex("..."), m.full(arr.getShape(), 3f));
            System.out.println("param after set: " + block.getParameters().get(1).getValue().getArray());
            NDArray x = m.ones(new Shape(2, 1, 28, 28));
            NDList out = block.forward(new ParameterStore(m, false), new NDList(x), false);
            System.out.println("out " + out.singletonOrThrow());
            model.close();
        }
    }
}
