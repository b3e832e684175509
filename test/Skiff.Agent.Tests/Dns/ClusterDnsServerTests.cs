using System.Net;
using ARSoft.Tools.Net.Dns;
using k8s;
using k8s.Models;

namespace Skiff.Agent.Tests.Dns;

/// <summary>The cluster DNS server on loopback against a real API server: the records pods would resolve, forwarding, TCP.</summary>
public sealed class ClusterDnsServerTests : IClassFixture<ClusterDnsFixture>
{
    private const string Ns = "default";
    private readonly ClusterDnsFixture _fixture;

    public ClusterDnsServerTests(ClusterDnsFixture fixture) => _fixture = fixture;

    private static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(1)).Token;

    [Fact]
    public async Task ClusterIpService_A_AnswersClusterIpWhateverTheCase()
    {
        CancellationToken token = Timeout;
        V1Service service = await CreateServiceAsync("web", headless: false, token);
        string clusterIp = service.Spec.ClusterIP;

        DnsMessage response = await _fixture.UntilAsync($"{service.Metadata.Name}.{Ns}.svc.cluster.local", RecordType.A, r => r.AnswerRecords.Count > 0, token);
        DnsMessage mixedCase = await _fixture.UdpAsync($"{service.Metadata.Name.ToUpperInvariant()}.DeFault.SVC.Cluster.Local", RecordType.A, token);

        Assert.Equal(ReturnCode.NoError, response.ReturnCode);
        Assert.True(response.IsAuthoritiveAnswer);
        ARecord a = Assert.IsType<ARecord>(Assert.Single(response.AnswerRecords));
        Assert.Equal(IPAddress.Parse(clusterIp), a.Address);
        Assert.Equal(5, a.TimeToLive);
        Assert.Equal(IPAddress.Parse(clusterIp), Assert.IsType<ARecord>(Assert.Single(mixedCase.AnswerRecords)).Address);
        Assert.Equal(service.Metadata.Name.ToUpperInvariant(), mixedCase.Questions[0].Name.Labels[0]);
    }

    [Fact]
    public async Task HeadlessService_A_AnswersReadyEndpointsAndHostnames()
    {
        CancellationToken token = Timeout;
        V1Service service = await CreateServiceAsync("db", headless: true, token);
        string name = service.Metadata.Name;
        await CreateSliceAsync(name, [("10.42.7.10", "db-0", true), ("10.42.7.11", "db-1", true), ("10.42.7.12", null, false)], token);

        DnsMessage all = await _fixture.UntilAsync($"{name}.{Ns}.svc.cluster.local", RecordType.A, r => r.AnswerRecords.Count > 0, token);
        DnsMessage pod0 = await _fixture.UdpAsync($"db-0.{name}.{Ns}.svc.cluster.local", RecordType.A, token);
        DnsMessage notReady = await _fixture.UdpAsync($"10-42-7-12.{name}.{Ns}.svc.cluster.local", RecordType.A, token);

        Assert.Equal(["10.42.7.10", "10.42.7.11"], all.AnswerRecords.OfType<ARecord>().Select(r => r.Address.ToString()).Order());
        Assert.Equal("10.42.7.10", Assert.IsType<ARecord>(Assert.Single(pod0.AnswerRecords)).Address.ToString());
        Assert.Equal(ReturnCode.NxDomain, notReady.ReturnCode);
    }

    [Fact]
    public async Task NamedPort_Srv_PointsAtServiceOrEachEndpoint()
    {
        CancellationToken token = Timeout;
        V1Service clusterIp = await CreateServiceAsync("api", headless: false, token);
        V1Service headless = await CreateServiceAsync("peers", headless: true, token);
        await CreateSliceAsync(headless.Metadata.Name, [("10.42.8.1", "peers-0", true), ("10.42.8.2", "peers-1", true)], token);

        DnsMessage viaService = await _fixture.UntilAsync($"_http._tcp.{clusterIp.Metadata.Name}.{Ns}.svc.cluster.local", RecordType.Srv, r => r.AnswerRecords.Count > 0, token);
        DnsMessage viaEndpoints = await _fixture.UntilAsync($"_http._tcp.{headless.Metadata.Name}.{Ns}.svc.cluster.local", RecordType.Srv, r => r.AnswerRecords.Count == 2, token);

        SrvRecord srv = Assert.IsType<SrvRecord>(Assert.Single(viaService.AnswerRecords));
        Assert.Equal(80, srv.Port);
        Assert.Equal($"{clusterIp.Metadata.Name}.{Ns}.svc.cluster.local.", srv.Target.ToString());
        Assert.Equal(
            [$"peers-0.{headless.Metadata.Name}.{Ns}.svc.cluster.local.", $"peers-1.{headless.Metadata.Name}.{Ns}.svc.cluster.local."],
            viaEndpoints.AnswerRecords.OfType<SrvRecord>().Select(r => r.Target.ToString()).Order());
        Assert.All(viaEndpoints.AnswerRecords.OfType<SrvRecord>(), r => Assert.Equal(8080, r.Port));
        Assert.Equal(2, viaEndpoints.AdditionalRecords.OfType<ARecord>().Count());
    }

    [Fact]
    public async Task ClusterIpAndEndpointAddress_Ptr_NamesServiceAndEndpoint()
    {
        CancellationToken token = Timeout;
        V1Service service = await CreateServiceAsync("rev", headless: false, token);
        V1Service headless = await CreateServiceAsync("revh", headless: true, token);
        await CreateSliceAsync(headless.Metadata.Name, [("10.42.9.3", "revh-0", true)], token);
        string[] octets = service.Spec.ClusterIP.Split('.');

        DnsMessage clusterIpPtr = await _fixture.UntilAsync($"{octets[3]}.{octets[2]}.{octets[1]}.{octets[0]}.in-addr.arpa", RecordType.Ptr, r => r.AnswerRecords.OfType<PtrRecord>().Any(), token);
        DnsMessage endpointPtr = await _fixture.UntilAsync("3.9.42.10.in-addr.arpa", RecordType.Ptr, r => r.AnswerRecords.OfType<PtrRecord>().Any(), token);

        Assert.Equal($"{service.Metadata.Name}.{Ns}.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(clusterIpPtr.AnswerRecords)).PointerDomainName.ToString());
        Assert.Equal($"revh-0.{headless.Metadata.Name}.{Ns}.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(endpointPtr.AnswerRecords)).PointerDomainName.ToString());
    }

    [Fact]
    public async Task ExternalNameService_A_AnswersCname()
    {
        CancellationToken token = Timeout;
        string name = "ext-" + Suffix();
        await _fixture.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1ServiceSpec { Type = "ExternalName", ExternalName = "db.example.test" },
        }, Ns, cancellationToken: token);

        DnsMessage response = await _fixture.UntilAsync($"{name}.{Ns}.svc.cluster.local", RecordType.A, r => r.AnswerRecords.Count > 0, token);

        CNameRecord cname = Assert.IsType<CNameRecord>(Assert.Single(response.AnswerRecords));
        Assert.Equal("db.example.test.", cname.CanonicalName.ToString());
    }

    [Fact]
    public async Task UnknownClusterName_A_NxDomainWithSoa()
    {
        DnsMessage response = await _fixture.UdpAsync("nothing-here.default.svc.cluster.local", RecordType.A, Timeout);

        Assert.Equal(ReturnCode.NxDomain, response.ReturnCode);
        Assert.Empty(response.AnswerRecords);
        SoaRecord soa = Assert.IsType<SoaRecord>(Assert.Single(response.AuthorityRecords));
        Assert.Equal("cluster.local.", soa.Name.ToString());
        Assert.Equal(5, soa.TimeToLive);
    }

    [Fact]
    public async Task EndpointSliceChanged_A_FollowsTheChange()
    {
        CancellationToken token = Timeout;
        V1Service service = await CreateServiceAsync("moving", headless: true, token);
        string name = service.Metadata.Name;
        V1EndpointSlice slice = await CreateSliceAsync(name, [("10.42.10.1", null, true)], token);
        string fqdn = $"{name}.{Ns}.svc.cluster.local";
        await _fixture.UntilAsync(fqdn, RecordType.A, r => r.AnswerRecords.OfType<ARecord>().Any(a => a.Address.ToString() == "10.42.10.1"), token);

        slice.Endpoints = [new V1Endpoint { Addresses = ["10.42.10.2"], Conditions = new V1EndpointConditions { Ready = true } }];
        await _fixture.Client.DiscoveryV1.ReplaceNamespacedEndpointSliceAsync(slice, slice.Metadata.Name, Ns, cancellationToken: token);
        DnsMessage moved = await _fixture.UntilAsync(fqdn, RecordType.A, r => r.AnswerRecords.OfType<ARecord>().Any(a => a.Address.ToString() == "10.42.10.2"), token);
        await _fixture.Client.CoreV1.DeleteNamespacedServiceAsync(name, Ns, cancellationToken: token);
        DnsMessage gone = await _fixture.UntilAsync(fqdn, RecordType.A, r => r.ReturnCode == ReturnCode.NxDomain, token);

        Assert.Equal("10.42.10.2", Assert.IsType<ARecord>(Assert.Single(moved.AnswerRecords)).Address.ToString());
        Assert.Empty(gone.AnswerRecords);
    }

    [Fact]
    public async Task LargeHeadlessService_UdpTruncatedTcpComplete()
    {
        CancellationToken token = Timeout;
        V1Service service = await CreateServiceAsync("big", headless: true, token);
        string name = service.Metadata.Name;
        await CreateSliceAsync(name, [.. Enumerable.Range(1, 100).Select(i => ($"10.42.11.{i}", (string?)null, true))], token);
        string fqdn = $"{name}.{Ns}.svc.cluster.local";
        await _fixture.UntilAsync("10-42-11-100." + fqdn, RecordType.A, r => r.AnswerRecords.Count > 0, token);

        DnsMessage udp = await _fixture.UdpAsync(fqdn, RecordType.A, token);
        DnsMessage tcp = await DnsTestClient.TcpAsync(_fixture.EndPoint, fqdn, RecordType.A, token);

        Assert.True(udp.IsTruncated);
        Assert.Empty(udp.AnswerRecords);
        Assert.False(tcp.IsTruncated);
        Assert.Equal(100, tcp.AnswerRecords.OfType<ARecord>().Count());
    }

    private static string Suffix() => Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..6];

    private async Task<V1Service> CreateServiceAsync(string prefix, bool headless, CancellationToken cancellationToken) =>
        await _fixture.Client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = prefix + "-" + Suffix() },
            Spec = new V1ServiceSpec
            {
                ClusterIP = headless ? "None" : null,
                Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP", TargetPort = 8080 }],
            },
        }, Ns, cancellationToken: cancellationToken);

    /// <summary>An EndpointSlice of the Service (no selector, so the EndpointSlice controller leaves it alone), port http 8080.</summary>
    private async Task<V1EndpointSlice> CreateSliceAsync(string service, (string Address, string? Hostname, bool Ready)[] endpoints, CancellationToken cancellationToken) =>
        await _fixture.Client.DiscoveryV1.CreateNamespacedEndpointSliceAsync(new V1EndpointSlice
        {
            Metadata = new V1ObjectMeta
            {
                Name = service + "-" + Suffix(),
                Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service, ["endpointslice.kubernetes.io/managed-by"] = "skiff-test" },
            },
            AddressType = "IPv4",
            Endpoints = [.. endpoints.Select(e => new V1Endpoint { Addresses = [e.Address], Hostname = e.Hostname, Conditions = new V1EndpointConditions { Ready = e.Ready } })],
            Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
        }, Ns, cancellationToken: cancellationToken);
}
