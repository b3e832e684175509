using System.CommandLine;
using System.Net;
using Skiff.ControlPlane.Scheduling.Configuration;
using Skiff.Hosting;
using Skiff.Store;

namespace Skiff.Commands;

/// <summary><c>skiff server</c>: flags into a validated <see cref="ServerOptions"/>, then the server host.</summary>
internal static class ServerCommand
{
    public static Command Create(TextWriter error)
    {
        Option<string> dataDirectory = OptionParsers.DataDirectory();
        var datastoreEndpoint = new Option<string>("--datastore-endpoint")
        {
            Description = "A SQLite file (default <data-dir>/db/state.db), sqlite://PATH, or etcd://host:port[,host:port...].",
        };
        var etcdPrefix = new Option<string>("--etcd-prefix")
        {
            Description = "The key prefix under which the etcd backend keeps everything.",
            DefaultValueFactory = _ => "/registry",
        };
        Option<IPAddress> bindAddress = OptionParsers.Address("--bind-address", "The address the API server listens on.", "0.0.0.0");
        Option<int> securePort = OptionParsers.Port("--secure-port", "The HTTPS port of the API server.", 6443);
        Option<IPNetwork> clusterCidr = OptionParsers.Cidr("--cluster-cidr", "The network pod addresses come from.", "10.42.0.0/16");
        Option<int> nodeCidrMaskSize = OptionParsers.PrefixLength(
            "--node-cidr-mask-size", "The prefix length of each node's pod CIDR, cut from --cluster-cidr (default 24 for IPv4, 64 for IPv6).");
        Option<TimeSpan> nodeMonitorGracePeriod = OptionParsers.Duration(
            "--node-monitor-grace-period", "How long a node may go without renewing its Lease before it is marked NotReady (Unknown).", "40s");
        Option<IPNetwork> serviceCidr = OptionParsers.Cidr("--service-cidr", "The network ClusterIPs come from.", "10.43.0.0/16");
        Option<IPAddress> clusterDns = OptionParsers.Address("--cluster-dns", "The ClusterIP of the kube-dns Service.", "10.43.0.10");
        var clusterDomain = new Option<string>("--cluster-domain")
        {
            Description = "The DNS domain of the cluster.",
            DefaultValueFactory = _ => "cluster.local",
        };
        Option<IPNetwork?> serviceLbPool = OptionParsers.OptionalCidr(
            "--service-lb-pool", "Where LoadBalancer Services' external IPs come from (default: the ready nodes' InternalIPs).", "192.168.200.0/28");
        var disableAgent = new Option<bool>("--disable-agent") { Description = "Run only the control plane, no node agent." };
        var disableControllerManager = new Option<bool>("--disable-controller-manager")
        {
            Description = "Do not run the controller manager (k3s' flag); tests use it to run controllers of their own.",
        };
        var disableScheduler = new Option<bool>("--disable-scheduler")
        {
            Description = "Do not run the scheduler (k3s' flag): pods stay Pending unless another scheduler binds them.",
        };
        var schedulerConfig = new Option<string>("--scheduler-config")
        {
            Description = "A KubeSchedulerConfiguration file (kubescheduler.config.k8s.io/v1): profiles, plugins, weights, percentageOfNodesToScore.",
        };
        var terminatedPodGCThreshold = new Option<int>("--terminated-pod-gc-threshold")
        {
            Description = "How many terminated pods may exist before the pod garbage collector deletes the oldest (0: never).",
            DefaultValueFactory = _ => 12500,
        };
        var auditPolicyFile = new Option<string>("--audit-policy-file")
        {
            Description = "An audit.k8s.io/v1 Policy file: which requests are audited and at which level (None, Metadata, Request, RequestResponse).",
        };
        var auditLogPath = new Option<string>("--audit-log-path")
        {
            Description = "Where audit events are written, one JSON line each; \"-\" means standard output. Needs --audit-policy-file.",
        };
        var auditLogMaxSize = new Option<int>("--audit-log-maxsize")
        {
            Description = "The audit log's size in megabytes at which it is rotated to <path>.<time> (0: never).",
        };
        var auditLogMaxBackup = new Option<int>("--audit-log-maxbackup")
        {
            Description = "How many rotated audit logs are kept (0: all).",
        };
        var encryptionProviderConfig = new Option<string>("--encryption-provider-config")
        {
            Description = "An apiserver.config.k8s.io/v1 EncryptionConfiguration file: which resources are encrypted at rest, with which keys (aescbc, aesgcm, identity).",
        };
        Option<string> nodeName = OptionParsers.NodeName("The name of this machine's Node (default: the host name).");
        Option<LogLevel> logLevel = OptionParsers.LogLevel();

        var command = new Command("server", "Run the control plane and, unless --disable-agent is given, a node agent.")
        {
            dataDirectory, datastoreEndpoint, etcdPrefix, bindAddress, securePort, clusterCidr, nodeCidrMaskSize, nodeMonitorGracePeriod,
            serviceCidr, clusterDns, clusterDomain, serviceLbPool, disableAgent, disableControllerManager, disableScheduler, schedulerConfig, terminatedPodGCThreshold, nodeName, logLevel,
            auditPolicyFile, auditLogPath, auditLogMaxSize, auditLogMaxBackup, encryptionProviderConfig,
        };

        var nodeFlags = new NodeFlags();
        nodeFlags.AddTo(command);

        command.SetAction(async (parseResult, cancellationToken) =>
        {
            string dataDir = OptionParsers.Value(parseResult, dataDirectory);
            var options = new ServerOptions
            {
                DataDirectory = Path.GetFullPath(dataDir),
                DatastoreEndpoint = parseResult.GetValue(datastoreEndpoint) ?? Path.Combine(Path.GetFullPath(dataDir), "db", "state.db"),
                EtcdPrefix = OptionParsers.Value(parseResult, etcdPrefix),
                BindAddress = OptionParsers.Value(parseResult, bindAddress),
                SecurePort = parseResult.GetValue(securePort),
                ClusterCidr = parseResult.GetValue(clusterCidr),
                NodeCidrMaskSize = parseResult.GetValue(nodeCidrMaskSize),
                NodeMonitorGracePeriod = parseResult.GetValue(nodeMonitorGracePeriod),
                ServiceCidr = parseResult.GetValue(serviceCidr),
                ClusterDns = OptionParsers.Value(parseResult, clusterDns),
                ClusterDomain = OptionParsers.Value(parseResult, clusterDomain),
                ServiceLoadBalancerPool = parseResult.GetValue(serviceLbPool),
                DisableAgent = parseResult.GetValue(disableAgent),
                DisableControllerManager = parseResult.GetValue(disableControllerManager),
                DisableScheduler = parseResult.GetValue(disableScheduler),
                TerminatedPodGCThreshold = parseResult.GetValue(terminatedPodGCThreshold),
                NodeName = OptionParsers.Value(parseResult, nodeName),
                LogLevel = parseResult.GetValue(logLevel),
                Node = nodeFlags.Read(parseResult),
                AuditLogPath = parseResult.GetValue(auditLogPath),
                AuditLogMaxSize = parseResult.GetValue(auditLogMaxSize),
                AuditLogMaxBackup = parseResult.GetValue(auditLogMaxBackup),
            };

            string? problem = Validate(options);
            if (problem is not null)
            {
                return SkiffCommandLine.UsageFailure(error, parseResult, problem);
            }

            if (parseResult.GetValue(schedulerConfig) is string schedulerConfigPath)
            {
                // Read and validated before anything starts, so a bad file is a usage error naming every bad field.
                try
                {
                    options = options with { SchedulerConfiguration = SchedulerConfiguration.Load(schedulerConfigPath) };
                }
                catch (SchedulerConfigurationException e)
                {
                    return SkiffCommandLine.UsageFailure(error, parseResult, $"--scheduler-config: {e.Message}");
                }
            }

            // Audit policy and encryption keys are read and checked before anything starts, so a bad file is a usage error
            // naming the field (the API server never runs with half a configuration).
            bool auditPolicyGiven = !string.IsNullOrEmpty(parseResult.GetValue(auditPolicyFile));
            if (auditPolicyGiven != !string.IsNullOrEmpty(parseResult.GetValue(auditLogPath)))
            {
                // One without the other audits nothing, silently: refuse it rather than let an operator believe requests are audited.
                return SkiffCommandLine.UsageFailure(error, parseResult, auditPolicyGiven
                    ? "--audit-policy-file needs --audit-log-path (\"-\" for standard output): without it no audit event is written"
                    : "--audit-log-path needs --audit-policy-file: without a policy no request is audited");
            }

            if (parseResult.GetValue(auditPolicyFile) is string auditPolicyPath)
            {
                try
                {
                    options = options with { AuditPolicy = ApiServer.Audit.AuditPolicy.Load(auditPolicyPath) };
                }
                catch (ApiServer.Audit.AuditPolicyException e)
                {
                    return SkiffCommandLine.UsageFailure(error, parseResult, $"--audit-policy-file: {e.Message}");
                }
            }

            if (parseResult.GetValue(encryptionProviderConfig) is string encryptionPath)
            {
                try
                {
                    options = options with { EncryptionConfiguration = ApiServer.Encryption.EncryptionConfiguration.Load(encryptionPath) };
                }
                catch (ApiServer.Encryption.EncryptionConfigurationException e)
                {
                    return SkiffCommandLine.UsageFailure(error, parseResult, $"--encryption-provider-config: {e.Message}");
                }
            }

            using var host = new ServerHost(options);
            return await host.RunAsync(cancellationToken);
        });
        return command;
    }

    /// <summary>The checks that involve more than one flag, or values System.CommandLine cannot type.</summary>
    public static string? Validate(ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!options.ServiceCidr.Contains(options.ClusterDns))
        {
            return $"--cluster-dns {options.ClusterDns} is not inside --service-cidr {options.ServiceCidr}";
        }

        if (options.ClusterCidr.Contains(options.ServiceCidr.BaseAddress) || options.ServiceCidr.Contains(options.ClusterCidr.BaseAddress))
        {
            return $"--cluster-cidr {options.ClusterCidr} overlaps --service-cidr {options.ServiceCidr}";
        }

        int maskSize = options.NodeCidrMaskSize > 0
            ? options.NodeCidrMaskSize
            : options.ClusterCidr.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 64 : 24;
        if (ControlPlane.Controllers.NodeIpam.CidrSet.Problem(options.ClusterCidr, maskSize) is string cidrProblem)
        {
            return $"--node-cidr-mask-size {maskSize} does not fit --cluster-cidr {options.ClusterCidr}: {cidrProblem}";
        }

        try
        {
            StoreEndpoint.Parse(options.DatastoreEndpoint);
        }
        catch (FormatException e)
        {
            return $"--datastore-endpoint: {e.Message}";
        }

        if (!options.EtcdPrefix.StartsWith('/'))
        {
            return $"--etcd-prefix \"{options.EtcdPrefix}\" must start with '/'";
        }

        if (options.AuditLogMaxSize < 0 || options.AuditLogMaxBackup < 0)
        {
            return "--audit-log-maxsize and --audit-log-maxbackup must not be negative";
        }

        if (string.IsNullOrWhiteSpace(options.ClusterDomain) || options.ClusterDomain.Contains(' ', StringComparison.Ordinal))
        {
            return $"--cluster-domain \"{options.ClusterDomain}\" is not a DNS domain";
        }

        return null;
    }
}
