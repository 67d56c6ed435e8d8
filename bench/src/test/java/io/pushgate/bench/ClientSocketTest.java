package io.pushgate.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The generator's hand-written upgrade against real servers on loopback: Netty's, and raw answers. */
class ClientSocketTest {

  private EventLoopGroup group;
  private Channel server;

  @BeforeEach
  void start() {
    group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  }

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close().sync();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  @Test
  void upgradesWithNettysServerHandshakerAndExchangesFrames() throws Exception {
    int port = serve(() -> new ChannelInitializer<Channel>() {
      @Override
      protected void initChannel(Channel ch) {
        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192),
          new WebSocketServerProtocolHandler("/connect", null, false, 1 << 16, false, true),
          new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
              if (msg instanceof TextWebSocketFrame text) {
                ctx.writeAndFlush(new TextWebSocketFrame("echo " + text.text()));
              }
              ReferenceCountUtil.release(msg);
            }
          });
      }
    });
    LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
    ClientSocket socket = await(connect(port, "/connect?token=a%20b", frames));
    socket.sendText("hello");
    assertEquals("echo hello", frames.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void aFrameInTheSamePacketAsThe101IsDelivered() throws Exception {
    int port = answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      + "sec-websocket-ACCEPT:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\u0081\u0002hi");
    LinkedBlockingQueue<String> frames = new LinkedBlockingQueue<>();
    await(connect(port, "/connect", frames));
    assertEquals("hi", frames.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void anotherStatusFailsWithIt() {
    int port = answer("HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(connect(port, "/connect", new LinkedBlockingQueue<>())));
    assertEquals("http 429", e.getCause().getMessage());
  }

  @Test
  void aWrongAcceptFails() {
    int port = answer("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    ExecutionException e = assertThrows(ExecutionException.class, () -> await(connect(port, "/connect", new LinkedBlockingQueue<>())));
    assertEquals("wrong Sec-WebSocket-Accept", e.getCause().getMessage());
  }

  /** A server that answers the first bytes of every connection with {@code response}, written in one go. */
  private int answer(String response) {
    return serve(() -> new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(response.getBytes(StandardCharsets.ISO_8859_1)));
      }
    });
  }

  private int serve(Supplier<ChannelHandler> handler) {
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
      .childHandler(new ChannelInitializer<Channel>() {
        @Override
        protected void initChannel(Channel ch) {
          ch.pipeline().addLast(handler.get());
        }
      })
      .bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  private Future<ClientSocket> connect(int port, String path, LinkedBlockingQueue<String> frames) {
    return ClientSocket.connect(group.next(), NioSocketChannel::new, URI.create("ws://127.0.0.1:" + port + path), "127.0.0.1", 5_000,
      frame -> frames.add(frame.toString(StandardCharsets.UTF_8)), status -> { });
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
