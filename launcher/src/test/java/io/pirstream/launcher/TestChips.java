package io.pirstream.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.pirstream.model.synth.SyntheticScenes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;

/** What the whole-stack tests post (generated scenes as PNG) and read back (chip ids in an answer). */
final class TestChips {

    /** A chip id as the services' JSON answers carry it. */
    static final Pattern CHIP_ID = Pattern.compile("\"chipId\":\"([0-9a-f]{64})\"");

    private TestChips() {
    }

    static byte[] png(SyntheticScenes.Scene scene) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(scene.image(), "png", out);
        return out.toByteArray();
    }

    static String firstChipId(String body) {
        Matcher matcher = CHIP_ID.matcher(body);
        assertThat(matcher.find()).as("chip id in " + body).isTrue();
        return matcher.group(1);
    }

    /** Every chip id in {@code body}, in order (a search answer's ranking). */
    static List<String> chipIds(String body) {
        List<String> ids = new ArrayList<>();
        Matcher matcher = CHIP_ID.matcher(body);
        while (matcher.find()) {
            ids.add(matcher.group(1));
        }
        return ids;
    }
}
