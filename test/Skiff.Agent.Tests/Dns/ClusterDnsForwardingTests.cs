using ARSoft.Tools.Net.Dns;

namespace Skiff.Agent.Tests.Dns;

/// <summary>Names outside the cluster go to the resolv.conf nameservers (fake upstreams on loopback), re-read when it changes.</summary>
public sealed class ClusterDnsForwardingTests : IClassFixture<ClusterDnsFixture>
{
    private readonly ClusterDnsFixture _fixture;

    public ClusterDnsForwardingTests(ClusterDnsFixture fixture) => _fixture = fixture;

    [Fact]
    public async Task OutsideName_UdpAndTcp_AnsweredByUpstreamAndFollowsResolvConf()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        CancellationToken token = cancellation.Token;
        _fixture.UseUpstream(_fixture.UpstreamA.EndPoint.Address);

        DnsMessage udp = await _fixture.UdpAsync("www.example.test", RecordType.A, token);
        DnsMessage tcp = await DnsTestClient.TcpAsync(_fixture.EndPoint, "mail.example.test", RecordType.A, token);
        _fixture.UseUpstream(_fixture.UpstreamB.EndPoint.Address);
        File.SetLastWriteTimeUtc(_fixture.ResolvConf, DateTime.UtcNow.AddSeconds(5)); // a new mtime even within the clock's granularity
        DnsMessage afterChange = await _fixture.UdpAsync("www.example.test", RecordType.A, token);

        Assert.Equal(ClusterDnsFixture.UpstreamAAnswer, Assert.IsType<ARecord>(Assert.Single(udp.AnswerRecords)).Address);
        Assert.Equal(ClusterDnsFixture.UpstreamAAnswer, Assert.IsType<ARecord>(Assert.Single(tcp.AnswerRecords)).Address);
        Assert.Equal(ClusterDnsFixture.UpstreamBAnswer, Assert.IsType<ARecord>(Assert.Single(afterChange.AnswerRecords)).Address);
        Assert.Equal(0x1000, udp.TransactionID);
    }

    [Fact]
    public async Task UpstreamDead_OutsideName_ServFail()
    {
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        _fixture.UseUpstream(DnsTestClient.RandomLoopback());
        File.SetLastWriteTimeUtc(_fixture.ResolvConf, DateTime.UtcNow.AddSeconds(10));
        try
        {
            DnsMessage udp = await _fixture.UdpAsync("www.example.test", RecordType.A, cancellation.Token);
            DnsMessage tcp = await DnsTestClient.TcpAsync(_fixture.EndPoint, "www.example.test", RecordType.A, cancellation.Token);

            Assert.Equal(ReturnCode.ServerFailure, udp.ReturnCode);
            Assert.Equal(ReturnCode.ServerFailure, tcp.ReturnCode);
        }
        finally
        {
            _fixture.UseUpstream(_fixture.UpstreamA.EndPoint.Address);
            File.SetLastWriteTimeUtc(_fixture.ResolvConf, DateTime.UtcNow.AddSeconds(15));
        }
    }
}
