package io.pirstream.launcher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's chromium and chromedriver, headless, with a fresh profile and nothing that reaches the network by itself.
 * Where they are missing the test is skipped with the reason, unless {@code PIRSTREAM_REQUIRE_BROWSER=true} (CI), where
 * it fails: {@code .ci/run} installs them.
 */
final class HeadlessChromium {

    static final String REQUIRE = "PIRSTREAM_REQUIRE_BROWSER";
    private static final List<String> BROWSERS = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser");
    private static final List<String> DRIVERS = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

    private HeadlessChromium() {
    }

    /** A driver, or the test is skipped (failed where a browser is required) with what is missing. */
    static ChromeDriver start(Path profile) {
        Optional<Path> browser = first(BROWSERS);
        Optional<Path> driver = first(DRIVERS);
        if (browser.isEmpty() || driver.isEmpty()) {
            String missing = "no headless browser: " + (browser.isEmpty() ? "chromium not found at " + BROWSERS : "")
                    + (browser.isEmpty() && driver.isEmpty() ? " and " : "")
                    + (driver.isEmpty() ? "chromedriver not found at " + DRIVERS : "")
                    + " (apt-get install chromium chromium-driver)";
            if (Boolean.parseBoolean(System.getenv(REQUIRE))) {
                throw new AssertionError(missing + "; " + REQUIRE + "=true requires the browser test to run");
            }
            Assumptions.abort(missing);
        }
        ChromeOptions options = new ChromeOptions().setBinary(browser.get().toFile()).addArguments("--headless",
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--window-size=1600,1250",
                "--user-data-dir=" + profile.toAbsolutePath());
        // the driver given by path: Selenium Manager would otherwise try to download one
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver.get().toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    private static Optional<Path> first(List<String> candidates) {
        return candidates.stream().map(Path::of).filter(Files::isExecutable).findFirst();
    }

    static Path tempProfile() {
        try {
            return Files.createTempDirectory("pirstream-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
