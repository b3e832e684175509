using System.Net;
using ARSoft.Tools.Net.Dns;
using k8s.Models;
using Skiff.Agent.Dns;

namespace Skiff.Agent.Tests.Dns;

/// <summary>Record building and answering without sockets: Services and EndpointSlices in memory, queries encoded by the library.</summary>
public sealed class DnsRecordBuilderTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5);

    private static V1Service Service(string name, string clusterIp, string type = "ClusterIP", string? externalName = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "shop" },
        Spec = new V1ServiceSpec
        {
            Type = type,
            ClusterIP = clusterIp,
            ClusterIPs = clusterIp == "None" ? ["None"] : [clusterIp],
            ExternalName = externalName,
            Ports = [new V1ServicePort { Name = "http", Port = 80, Protocol = "TCP" }, new V1ServicePort { Port = 9090 }],
        },
    };

    private static V1EndpointSlice Slice(string service, params (string Address, string? Hostname, bool? Ready)[] endpoints) => new()
    {
        Metadata = new V1ObjectMeta { Name = service + "-abc", NamespaceProperty = "shop", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = service } },
        AddressType = "IPv4",
        Endpoints = [.. endpoints.Select(e => new V1Endpoint { Addresses = [e.Address], Hostname = e.Hostname, Conditions = new V1EndpointConditions { Ready = e.Ready } })],
        Ports = [new Discoveryv1EndpointPort { Name = "http", Port = 8080, Protocol = "TCP" }],
    };

    private static DnsRecordSet Records() => DnsRecordBuilder.Build(
        [Service("web", "10.43.0.20"), Service("db", "None"), Service("ext", "", "ExternalName", "example.test.")],
        [Slice("web", ("10.42.0.7", null, true)), Slice("db", ("10.42.1.4", "db-0", true), ("10.42.1.5", "db-1", null), ("10.42.1.6", "db-2", false))],
        "cluster.local",
        Ttl,
        7);

    private static DnsMessage Ask(DnsRecordSet records, string name, RecordType type, ushort id = 0x4242, bool edns = false, int maxLength = 512)
    {
        byte[] raw = DnsTestClient.Encode(name, type, id, edns);
        byte[]? answer = DnsResponder.Answer(DnsMessage.Parse(raw), raw, records, maxLength);
        Assert.NotNull(answer);
        return DnsMessage.Parse(answer);
    }

    [Fact]
    public void Build_ClusterIpService_AAndSrvAndPtr()
    {
        DnsRecordSet records = Records();

        DnsMessage a = Ask(records, "web.shop.svc.cluster.local", RecordType.A);
        DnsMessage srv = Ask(records, "_http._tcp.web.shop.svc.cluster.local", RecordType.Srv);
        DnsMessage ptr = Ask(records, "20.0.43.10.in-addr.arpa", RecordType.Ptr);
        DnsMessage endpointPtr = Ask(records, "7.0.42.10.in-addr.arpa", RecordType.Ptr);

        Assert.Equal("10.43.0.20", Assert.IsType<ARecord>(Assert.Single(a.AnswerRecords)).Address.ToString());
        SrvRecord record = Assert.IsType<SrvRecord>(Assert.Single(srv.AnswerRecords));
        Assert.Equal((80, "web.shop.svc.cluster.local."), (record.Port, record.Target.ToString()));
        Assert.Equal("10.43.0.20", Assert.IsType<ARecord>(Assert.Single(srv.AdditionalRecords)).Address.ToString());
        Assert.Equal("web.shop.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(ptr.AnswerRecords)).PointerDomainName.ToString());
        Assert.Equal("10-42-0-7.web.shop.svc.cluster.local.", Assert.IsType<PtrRecord>(Assert.Single(endpointPtr.AnswerRecords)).PointerDomainName.ToString());
    }

    [Fact]
    public void Build_HeadlessService_ReadyEndpointsHostnamesAndOneSrvEach()
    {
        DnsRecordSet records = Records();

        DnsMessage a = Ask(records, "db.shop.svc.cluster.local", RecordType.A);
        DnsMessage host = Ask(records, "db-1.db.shop.svc.cluster.local", RecordType.A);
        DnsMessage notReady = Ask(records, "db-2.db.shop.svc.cluster.local", RecordType.A);
        DnsMessage srv = Ask(records, "_http._tcp.db.shop.svc.cluster.local", RecordType.Srv);

        Assert.Equal(["10.42.1.4", "10.42.1.5"], a.AnswerRecords.OfType<ARecord>().Select(r => r.Address.ToString()).Order());
        Assert.Equal("10.42.1.5", Assert.IsType<ARecord>(Assert.Single(host.AnswerRecords)).Address.ToString());
        Assert.Equal(ReturnCode.NxDomain, notReady.ReturnCode);
        Assert.Equal(["db-0.db.shop.svc.cluster.local.", "db-1.db.shop.svc.cluster.local."], srv.AnswerRecords.OfType<SrvRecord>().Select(r => r.Target.ToString()).Order());
        Assert.All(srv.AnswerRecords.OfType<SrvRecord>(), r => Assert.Equal((8080, 50), (r.Port, r.Weight)));
    }

    [Fact]
    public void Answer_ExternalName_CnameForAnyType()
    {
        DnsMessage response = Ask(Records(), "ext.shop.svc.cluster.local", RecordType.Aaaa);

        Assert.Equal("example.test.", Assert.IsType<CNameRecord>(Assert.Single(response.AnswerRecords)).CanonicalName.ToString());
    }

    [Fact]
    public void Answer_PodRecord_AddressFromTheName()
    {
        DnsRecordSet records = Records();

        DnsMessage pod = Ask(records, "10-42-3-9.any-namespace.pod.cluster.local", RecordType.A);
        DnsMessage bad = Ask(records, "not-an-ip.shop.pod.cluster.local", RecordType.A);

        Assert.Equal("10.42.3.9", Assert.IsType<ARecord>(Assert.Single(pod.AnswerRecords)).Address.ToString());
        Assert.Equal(ReturnCode.NxDomain, bad.ReturnCode);
    }

    [Fact]
    public void Answer_ExistingNameOtherType_NoDataWithSoa()
    {
        DnsRecordSet records = Records();

        DnsMessage aaaa = Ask(records, "web.shop.svc.cluster.local", RecordType.Aaaa);
        DnsMessage nonTerminal = Ask(records, "shop.svc.cluster.local", RecordType.A);
        DnsMessage missing = Ask(records, "web.other.svc.cluster.local", RecordType.A);

        Assert.Equal((ReturnCode.NoError, 0), (aaaa.ReturnCode, aaaa.AnswerRecords.Count));
        Assert.IsType<SoaRecord>(Assert.Single(aaaa.AuthorityRecords));
        Assert.Equal((ReturnCode.NoError, 0), (nonTerminal.ReturnCode, nonTerminal.AnswerRecords.Count));
        Assert.Equal(ReturnCode.NxDomain, missing.ReturnCode);
        Assert.Equal(7u, Assert.IsType<SoaRecord>(Assert.Single(missing.AuthorityRecords)).SerialNumber);
    }

    [Fact]
    public void Answer_OutsideTheDomain_NullSoItIsForwarded()
    {
        byte[] raw = DnsTestClient.Encode("www.example.test", RecordType.A);

        Assert.Null(DnsResponder.Answer(DnsMessage.Parse(raw), raw, Records(), 512));
    }

    [Fact]
    public void Answer_SecondQuery_TemplateCarriesItsOwnIdCaseAndEdns()
    {
        DnsRecordSet records = Records();
        Ask(records, "web.shop.svc.cluster.local", RecordType.A, id: 1);

        DnsMessage second = Ask(records, "WEB.Shop.svc.cluster.local", RecordType.A, id: 0xBEEF);
        DnsMessage withEdns = Ask(records, "web.shop.svc.cluster.local", RecordType.A, id: 3, edns: true);

        Assert.Contains(new ResponseKey("web.shop.svc.cluster.local", RecordType.A, false), records.Responses.Keys);
        Assert.Equal(0xBEEF, second.TransactionID);
        Assert.Equal("WEB.Shop.svc.cluster.local.", second.Questions[0].Name.ToString());
        Assert.True(second.IsRecursionDesired);
        Assert.Equal("10.43.0.20", Assert.IsType<ARecord>(Assert.Single(second.AnswerRecords)).Address.ToString());
        Assert.True(withEdns.IsEDnsEnabled);
        Assert.Equal(DnsResponder.AdvertisedPayload, withEdns.EDnsOptions!.UdpPayloadSize);
    }

    [Fact]
    public void Answer_LongerThanTheLimit_TruncatedWithoutRecords()
    {
        DnsMessage response = Ask(Records(), "db.shop.svc.cluster.local", RecordType.A, maxLength: 60);

        Assert.True(response.IsTruncated);
        Assert.Empty(response.AnswerRecords);
    }

    [Fact]
    public void Parse_ResolvConf_NameserversWithUpstreamPortButNotItself()
    {
        var options = new ClusterDnsOptions { ListenAddress = IPAddress.Parse("10.42.0.1"), ClusterDomain = "cluster.local", UpstreamPort = 5353, Port = 5353 };

        IReadOnlyList<IPEndPoint> servers = UpstreamForwarder.Parse(
            ["# comment", "search lan", "nameserver 192.0.2.53", "nameserver\t10.42.0.1", "nameserver fe80::1%eth0", "options ndots:5"], options);

        Assert.Equal(["192.0.2.53:5353", "[fe80::1]:5353"], servers.Select(s => s.ToString()));
    }

    [Fact]
    public void Reverse_Ipv6_NibbleName()
    {
        Assert.Equal("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", DnsNames.Reverse(IPAddress.Parse("2001:db8::1")));
    }
}
