using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using k8s;
using Skiff.Agent.Kubelet.Streaming.Spdy;

namespace Skiff.Agent.Tests.Kubelet.Streaming;

/// <summary>
/// exec, attach and port-forward through <see cref="Skiff.Agent.Kubelet.Streaming.StreamingHandlers"/> into a real
/// containerd pod, driven by the KubernetesClient library (WebSocket v4), a v5 WebSocket client and a SPDY/3.1 client.
/// </summary>
public sealed class StreamingHandlersTests(StreamingFixture fixture) : IClassFixture<StreamingFixture>
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task ExecAsync_KubernetesClientV4_PrintsStdoutAndExitsZero()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = fixture.BaseUri.ToString() });
        var stdout = "";

        var exitCode = await client.NamespacedPodExecAsync("web", "default", "app", ["echo", "hi"], tty: false,
            async (_, output, _) => stdout = await new StreamReader(output).ReadToEndAsync(cts.Token), cts.Token);

        Assert.Equal(0, exitCode);
        Assert.Equal("hi\n", stdout);
    }

    [Fact]
    public async Task ExecAsync_KubernetesClientV4_NonZeroExit_ReturnsTheExitCode()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = fixture.BaseUri.ToString() });

        var exitCode = await client.NamespacedPodExecAsync("web", "default", "app", ["sh", "-c", "echo oops >&2; exit 3"], tty: false,
            (_, _, _) => Task.CompletedTask, cts.Token);

        Assert.Equal(3, exitCode);
    }

    [Fact]
    public async Task ExecAsync_V5StdinClosed_CatEchoesAndSucceeds()
    {
        using var cts = new CancellationTokenSource(TestTimeout);

        var output = await StreamTestClients.WebSocketExecAsync(
            fixture.PodUri("exec", "command=cat&container=app&stdin=true&stdout=true&stderr=true"), "v5.channel.k8s.io",
            ["hello ", "world\n"], closeStdin: true, cts.Token);

        Assert.Equal("hello world\n", output.Stdout);
        Assert.Equal("Success", Status(output.Status).GetProperty("status").GetString());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, output.Close);
    }

    [Fact]
    public async Task ExecAsync_V5NonZeroExit_StatusNamesTheExitCode()
    {
        using var cts = new CancellationTokenSource(TestTimeout);

        var output = await StreamTestClients.WebSocketExecAsync(
            fixture.PodUri("exec", "command=sh&command=-c&command=echo+oops+>%262%3B+exit+3&container=app&stdout=true&stderr=true"),
            "v5.channel.k8s.io", [], closeStdin: false, cts.Token);

        var status = Status(output.Status);
        Assert.Equal("oops\n", output.Stderr);
        Assert.Equal("Failure", status.GetProperty("status").GetString());
        Assert.Equal("NonZeroExitCode", status.GetProperty("reason").GetString());
        var cause = status.GetProperty("details").GetProperty("causes")[0];
        Assert.Equal(("ExitCode", "3"), (cause.GetProperty("reason").GetString(), cause.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task ExecAsync_V5TtyWithResize_TerminalHasTheSize()
    {
        using var cts = new CancellationTokenSource(TestTimeout);

        // The command waits for a line on stdin (sent after the resize, which travels on its own stream) and a moment more, so the
        // resize has reached the terminal when stty reads it.
        var output = await StreamTestClients.WebSocketExecAsync(
            fixture.PodUri("exec",
                "command=sh&command=-c&command=read+x%3B+sleep+0.3%3B+busybox+stty+size&container=app&stdin=true&stdout=true&tty=true"),
            "v5.channel.k8s.io", ["go\n"], closeStdin: false, cts.Token, resize: """{"Width":100,"Height":30}""");

        Assert.Contains("30 100", output.Stdout, StringComparison.Ordinal);
        Assert.Equal("Success", Status(output.Status).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ExecAsync_V4WebSocket_ChosenWhenV5IsNotOffered()
    {
        using var cts = new CancellationTokenSource(TestTimeout);

        var output = await StreamTestClients.WebSocketExecAsync(
            fixture.PodUri("exec", "command=echo&command=v4&container=app&stdout=1&stderr=1"), "v4.channel.k8s.io", [], closeStdin: false,
            cts.Token);

        Assert.Equal("v4\n", output.Stdout);
        Assert.Equal("Success", Status(output.Status).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ExecAsync_Spdy_StdinFinEchoedByCatAndStatusOnErrorStream()
    {
        using var cts = new CancellationTokenSource(TestTimeout);

        var output = await StreamTestClients.SpdyExecAsync(
            fixture.PodUri("exec", "command=cat&container=app&stdin=true&stdout=true&stderr=true"), "over spdy\n", cts.Token);

        Assert.Equal("over spdy\n", output.Stdout);
        Assert.Equal("Success", Status(output.Status).GetProperty("status").GetString());
    }

    [Fact]
    public async Task ExecAsync_SpdyNonZeroExit_StatusNamesTheExitCode()
    {
        using var cts = new CancellationTokenSource(TestTimeout);

        var output = await StreamTestClients.SpdyExecAsync(
            fixture.PodUri("exec", "command=sh&command=-c&command=exit+3&container=app&stdout=true&stderr=true"), null, cts.Token);

        var status = Status(output.Status);
        Assert.Equal("NonZeroExitCode", status.GetProperty("reason").GetString());
        Assert.Equal("3", status.GetProperty("details").GetProperty("causes")[0].GetProperty("message").GetString());
    }

    [Fact]
    public async Task AttachAsync_ClientDisconnects_SeesOutputAndTheSessionEnds()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // Sessions of the tests before this one end on their own once their clients are gone.
        await fixture.WaitForNoSessionsAsync(cts.Token);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("v5.channel.k8s.io");
        await socket.ConnectAsync(StreamTestClients.WebSocketUri(fixture.PodUri("attach", "container=ticker&stdout=true&stderr=true")),
            cts.Token);

        var buffer = new byte[4096];
        var first = await socket.ReceiveAsync(buffer, cts.Token);
        var during = fixture.Sessions;
        socket.Abort();
        await fixture.WaitForNoSessionsAsync(cts.Token);

        Assert.Equal(1, buffer[0]);
        Assert.StartsWith("tick", Encoding.UTF8.GetString(buffer, 1, first.Count - 1), StringComparison.Ordinal);
        Assert.Equal(1, during);
    }

    [Fact]
    public async Task PortForwardAsync_Spdy_ReturnsThePodsBytesThenFinOnDataAndError()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (connection, protocol) = await SpdyClient.ConnectAsync(fixture.PodUri("portforward"), ["portforward.k8s.io"], cts.Token);
        await using var _ = connection;

        var first = await StreamTestClients.ForwardOnceAsync(connection, StreamingFixture.ServedPort, 0, cts.Token);
        var second = await StreamTestClients.ForwardOnceAsync(connection, StreamingFixture.ServedPort, 1, cts.Token);

        Assert.Equal("portforward.k8s.io", protocol);
        Assert.Equal((StreamingFixture.ServedText + "\n", ""), first);
        Assert.Equal((StreamingFixture.ServedText + "\n", ""), second);
    }

    [Fact]
    public async Task PortForwardAsync_SpdyInWebSocket_CarriesBytesBothWays()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        // ClientWebSocket refuses this sub-protocol name ('/' is no token character), so the handshake is done by hand.
        var (socket, protocol) = await StreamTestClients.ConnectWebSocketAsync(fixture.PodUri("portforward"), "SPDY/3.1+portforward.k8s.io",
            cts.Token);
        await using var connection = SpdyConnection.Start(WebSocketStream.Create(socket, WebSocketMessageType.Binary, ownsWebSocket: true),
            isClient: true);

        var (_, data) = await StreamTestClients.OpenForwardAsync(connection, StreamingFixture.EchoPort, 0, cts.Token);
        await data.WriteAsync("ping through the tunnel\n"u8.ToArray(), cts.Token);
        var echoed = await StreamTestClients.ReadUntilAsync(data.Input, "tunnel\n", cts.Token);

        Assert.Equal("SPDY/3.1+portforward.k8s.io", protocol);
        Assert.Equal("ping through the tunnel\n", echoed);
    }

    [Fact]
    public async Task PortForwardAsync_NothingListens_ReportsOnTheErrorStream()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        var (connection, _) = await SpdyClient.ConnectAsync(fixture.PodUri("portforward"), ["portforward.k8s.io"], cts.Token);
        await using var _ = connection;

        var (data, error) = await StreamTestClients.ForwardOnceAsync(connection, 9, 0, cts.Token);

        Assert.Equal("", data);
        Assert.Contains("9", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExecAsync_NoUpgradeOrUnknownContainer_AnswersAStatus()
    {
        using var cts = new CancellationTokenSource(TestTimeout);
        using var http = new HttpClient();

        using var plain = await http.GetAsync(fixture.PodUri("exec", "command=ls&stdout=true"), cts.Token);
        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("v5.channel.k8s.io");
        var missing = await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(
            StreamTestClients.WebSocketUri(fixture.PodUri("exec", "command=ls&stdout=true&container=gone")), cts.Token));

        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Equal("Status", Status(await plain.Content.ReadAsStringAsync(cts.Token)).GetProperty("kind").GetString());
        Assert.Contains("404", missing.Message, StringComparison.Ordinal);
    }

    private static JsonElement Status(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
