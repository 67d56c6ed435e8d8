package io.pushgate.bench.soak;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The soak as a PNG drawn with the JDK alone (headless Java2D): each node's heap in use, RSS and
 * connections over time, one panel each, with the kills (red) and the SIGTERMs of rolls (grey)
 * marked. Nothing to install; a machine without fonts gets no plot, and the soak says so.
 */
final class Plot {

  private static final int WIDTH = 1200;
  private static final int PANEL = 260;
  private static final int LEFT = 80;
  private static final int RIGHT = 20;
  private static final int TOP = 50;
  private static final int GAP = 40;
  private static final Color[] NODE_COLORS = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
    new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22),
    new Color(0x17becf), new Color(0xd62728)};

  private Plot() {
  }

  static void write(Path file, String title, List<Timeline.Sample> samples, List<Chaos.Event> events, int nodes) throws IOException {
    int height = TOP + 3 * (PANEL + GAP) + 20;
    BufferedImage img = new BufferedImage(WIDTH, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, height);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
    g.setColor(Color.BLACK);
    g.drawString(title, LEFT, 25);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
    double maxSeconds = samples.stream().mapToDouble(Timeline.Sample::atSeconds).max().orElse(1);
    panel(g, TOP, "heap in use (MB)", samples, Timeline.Sample::heapUsedMb, events, maxSeconds, nodes);
    panel(g, TOP + PANEL + GAP, "RSS (MB)", samples, Timeline.Sample::rssMb, events, maxSeconds, nodes);
    panel(g, TOP + 2 * (PANEL + GAP), "connections", samples, s -> s.connections(), events, maxSeconds, nodes);
    int x = LEFT;
    for (int n = 1; n <= nodes; n++) {
      g.setColor(NODE_COLORS[(n - 1) % NODE_COLORS.length]);
      g.fillRect(x, height - 16, 12, 8);
      g.setColor(Color.BLACK);
      g.drawString("node" + n, x + 16, height - 8);
      x += 80;
    }
    g.setColor(Color.RED);
    g.drawLine(x, height - 12, x + 12, height - 12);
    g.setColor(Color.BLACK);
    g.drawString("SIGKILL", x + 16, height - 8);
    g.setColor(Color.GRAY);
    g.drawLine(x + 80, height - 12, x + 92, height - 12);
    g.setColor(Color.BLACK);
    g.drawString("SIGTERM (roll)", x + 96, height - 8);
    g.dispose();
    if (!ImageIO.write(img, "png", file.toFile())) {
      throw new IOException("no PNG writer in this JDK");
    }
  }

  private static void panel(Graphics2D g, int top, String label, List<Timeline.Sample> samples, ToDoubleFunction<Timeline.Sample> value,
                            List<Chaos.Event> events, double maxSeconds, int nodes) {
    int w = WIDTH - LEFT - RIGHT;
    double max = samples.stream().mapToDouble(value).filter(v -> v >= 0).max().orElse(1);
    double ceiling = niceCeiling(max);
    g.setColor(Color.BLACK);
    g.drawString(label, LEFT, top - 6);
    g.setColor(new Color(0xeeeeee));
    for (int i = 0; i <= 4; i++) {
      int y = top + PANEL - i * PANEL / 4;
      g.drawLine(LEFT, y, LEFT + w, y);
    }
    g.setColor(Color.DARK_GRAY);
    for (int i = 0; i <= 4; i++) {
      int y = top + PANEL - i * PANEL / 4;
      String tick = String.format("%.0f", ceiling * i / 4);
      g.drawString(tick, LEFT - 8 - g.getFontMetrics().stringWidth(tick), y + 4);
    }
    double minutes = maxSeconds / 60;
    double step = minutes > 30 ? 10 : minutes > 6 ? 2 : minutes > 2 ? 0.5 : 0.25;
    for (double m = 0; m <= minutes + 1e-9; m += step) {
      int xm = LEFT + (int) (w * m * 60 / maxSeconds);
      String tick = (m == Math.rint(m) ? String.format("%.0f", m) : String.format("%.2f", m)) + " min";
      g.drawString(tick, xm - g.getFontMetrics().stringWidth(tick) / 2, top + PANEL + 14);
    }
    for (Chaos.Event e : events) {
      if (e.kind().equals("ready")) {
        continue;
      }
      int xe = LEFT + (int) (w * e.atSeconds() / maxSeconds);
      g.setColor(e.kind().equals("kill") ? Color.RED : Color.GRAY);
      g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 1f, new float[] {4f, 3f}, 0f));
      g.drawLine(xe, top, xe, top + PANEL);
    }
    g.setStroke(new BasicStroke(1.5f));
    for (int n = 1; n <= nodes; n++) {
      Path2D.Double line = new Path2D.Double();
      boolean drawing = false;
      for (Timeline.Sample s : samples) {
        if (s.node() != n) {
          continue;
        }
        double v = value.applyAsDouble(s);
        if (v < 0) {
          drawing = false; // the node did not answer: a break in its line
          continue;
        }
        double x = LEFT + w * s.atSeconds() / maxSeconds;
        double y = top + PANEL - PANEL * Math.min(v, ceiling) / ceiling;
        if (drawing) {
          line.lineTo(x, y);
        } else {
          line.moveTo(x, y);
          drawing = true;
        }
      }
      g.setColor(NODE_COLORS[(n - 1) % NODE_COLORS.length]);
      g.draw(line);
    }
    g.setColor(Color.BLACK);
    g.setStroke(new BasicStroke(1f));
    g.drawRect(LEFT, top, w, PANEL);
  }

  /** 1, 2 or 5 times a power of ten, at least {@code max}. */
  private static double niceCeiling(double max) {
    if (max <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(max)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= max) {
        return m * p;
      }
    }
    return 10 * p;
  }
}
