using System.Net;

namespace Skiff.ApiServer;

/// <summary>The API server's settings, bound once by the host.</summary>
public sealed class ApiServerOptions
{
    /// <summary>Service ClusterIPs come from here; its first address is the <c>kubernetes</c> Service.</summary>
    public IPNetwork ServiceCidr { get; set; } = IPNetwork.Parse("10.43.0.0/16");

    /// <summary>The cluster's pod network, published to nodes in the <c>kube-system/skiff-cluster</c> ConfigMap.</summary>
    public IPNetwork ClusterCidr { get; set; } = IPNetwork.Parse("10.42.0.0/16");

    /// <summary>The ClusterIP of the <c>kube-system/kube-dns</c> Service, created at bootstrap.</summary>
    public IPAddress ClusterDns { get; set; } = IPAddress.Parse("10.43.0.10");

    /// <summary>The cluster's DNS domain.</summary>
    public string ClusterDomain { get; set; } = "cluster.local";

    /// <summary>The first NodePort.</summary>
    public int NodePortFirst { get; set; } = 30000;

    /// <summary>The last NodePort.</summary>
    public int NodePortLast { get; set; } = 32767;

    /// <summary>The address other components and pods reach the API server at (the <c>kubernetes</c> endpoints).</summary>
    public IPAddress AdvertiseAddress { get; set; } = IPAddress.Loopback;

    /// <summary>The HTTPS port, for the <c>kubernetes</c> endpoints.</summary>
    public int SecurePort { get; set; } = 6443;

    /// <summary>Signs and checks service-account tokens; without it TokenRequest is unavailable.</summary>
    public System.Security.Cryptography.RSA? ServiceAccountKey { get; set; }

    /// <summary>The issuer (and default audience) of service-account tokens.</summary>
    public string ServiceAccountIssuer { get; set; } = "https://kubernetes.default.svc.cluster.local";

    /// <summary>
    /// The longest lifetime a TokenRequest gets (upstream's --service-account-max-token-expiration); longer requests are
    /// shortened with a warning. Null (the default) sets no limit.
    /// </summary>
    public TimeSpan? ServiceAccountMaxTokenExpiration { get; set; }

    /// <summary>
    /// The API server's client certificate towards kubelets (<c>system:kube-apiserver-kubelet-client</c>), with its key; pods/log,
    /// exec, attach and portforward are proxied to the pod's kubelet with it. Without it those subresources answer 503.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? KubeletClientCertificate { get; set; }

    /// <summary>The CA kubelets' serving certificates must chain to (and carry the address dialled); null trusts any (upstream's default).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? KubeletCertificateAuthority { get; set; }

    /// <summary>Encryption at rest (<c>--encryption-provider-config</c>); null stores every value as it is.</summary>
    public Encryption.EncryptionConfiguration? EncryptionConfiguration { get; set; }

    /// <summary>The audit policy (<c>--audit-policy-file</c>); without it, or without <see cref="AuditLogPath"/>, nothing is audited.</summary>
    public Audit.AuditPolicy? AuditPolicy { get; set; }

    /// <summary>Where audit events go, one JSON line each (<c>--audit-log-path</c>); "-" is standard output.</summary>
    public string? AuditLogPath { get; set; }

    /// <summary>The audit log's size in megabytes at which it is rotated (<c>--audit-log-maxsize</c>); 0 never rotates.</summary>
    public int AuditLogMaxSize { get; set; }

    /// <summary>How many rotated audit logs are kept (<c>--audit-log-maxbackup</c>); 0 keeps them all.</summary>
    public int AuditLogMaxBackup { get; set; }
}
