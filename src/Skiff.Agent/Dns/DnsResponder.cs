using ARSoft.Tools.Net.Dns;

namespace Skiff.Agent.Dns;

/// <summary>
/// Answers one parsed query from a <see cref="DnsRecordSet"/>, or says it belongs upstream (null). A response for a name the
/// snapshot holds is encoded once and kept as a template: the next query for the same name and type gets a copy with its own
/// transaction id, RD bit and question spelling (case) written in, so the hot path is a parse, a lookup and a copy.
/// </summary>
internal static class DnsResponder
{
    /// <summary>The EDNS payload size this server advertises (the DNS flag day 2020 value, which avoids IP fragmentation).</summary>
    public const ushort AdvertisedPayload = 1232;

    private const int HeaderLength = 12;

    /// <summary>
    /// The encoded response, or null when the question is not the cluster's and goes to the upstream nameservers. A response longer
    /// than <paramref name="maxLength"/> (UDP: <see cref="UdpLimit"/>; TCP: 65535) is replaced by an empty one with TC set.
    /// </summary>
    public static byte[]? Answer(DnsMessage query, ReadOnlySpan<byte> raw, DnsRecordSet records, int maxLength)
    {
        if (query.OperationCode != OperationCode.Query || query.Questions.Count != 1)
        {
            return Fail(query, query.OperationCode != OperationCode.Query ? ReturnCode.NotImplemented : ReturnCode.FormatError);
        }

        DnsQuestion question = query.Questions[0];
        if (question.RecordClass is not (RecordClass.INet or RecordClass.Any))
        {
            return null;
        }

        string key = DnsNames.Key(question.Name);
        bool known = records.TryGet(key, out NameRecords? names);
        if (!known && !records.InDomain(key))
        {
            return null;
        }

        var responseKey = new ResponseKey(key, question.RecordType, query.IsEDnsEnabled);
        byte[]? bytes = null;
        if (known && records.Responses.TryGetValue(responseKey, out byte[]? template))
        {
            bytes = Patch(template, raw, question);
        }

        if (bytes is null)
        {
            DnsMessage response = Build(query, question, key, names, records);
            bytes = DnsMessageEncoding.Encode(response).ToArray();
            if (known && records.Responses.Count < DnsRecordSet.MaxResponses)
            {
                records.Responses.TryAdd(responseKey, bytes);
            }
        }

        return bytes.Length <= maxLength ? bytes : Truncated(query);
    }

    /// <summary>The largest UDP response for this query: 512 without EDNS, else the client's payload size capped at ours.</summary>
    public static int UdpLimit(DnsMessage query) =>
        query.IsEDnsEnabled && query.EDnsOptions is { } opt ? Math.Clamp((int)opt.UdpPayloadSize, 512, AdvertisedPayload) : 512;

    /// <summary>A response with no records and the given code (SERVFAIL when upstream failed, FORMERR, NOTIMP).</summary>
    public static byte[] Fail(DnsMessage query, ReturnCode code)
    {
        DnsMessage response = Start(query);
        response.ReturnCode = code;
        return DnsMessageEncoding.Encode(response).ToArray();
    }

    private static DnsMessage Build(DnsMessage query, DnsQuestion question, string key, NameRecords? names, DnsRecordSet records)
    {
        DnsMessage response = Start(query);
        response.IsAuthoritiveAnswer = true;
        RecordType type = question.RecordType;
        if (names is not null)
        {
            DnsRecordBase? cname = names.Answers.FirstOrDefault(r => r.RecordType == RecordType.CName);
            if (cname is not null)
            {
                response.AnswerRecords.Add(cname);
                return response;
            }

            foreach (DnsRecordBase record in names.Answers)
            {
                if (type == RecordType.Any || record.RecordType == type)
                {
                    response.AnswerRecords.Add(record);
                }
            }

            if (response.AnswerRecords.Count == 0)
            {
                AddSoa(response, key, records);
            }
            else if (response.AnswerRecords.Exists(r => r.RecordType == RecordType.Srv))
            {
                response.AdditionalRecords.AddRange(names.Additional);
            }

            return response;
        }

        if (PodAddress(key, records) is { } pod)
        {
            if (pod.Address is null)
            {
                response.ReturnCode = ReturnCode.NxDomain;
                AddSoa(response, key, records);
                return response;
            }

            RecordType podType = pod.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? RecordType.Aaaa : RecordType.A;
            if (type == podType || type == RecordType.Any)
            {
                response.AnswerRecords.Add(podType == RecordType.A
                    ? new ARecord(question.Name, records.Ttl, pod.Address)
                    : new AaaaRecord(question.Name, records.Ttl, pod.Address));
            }
            else
            {
                AddSoa(response, key, records);
            }

            return response;
        }

        if (string.Equals(key, records.Domain, StringComparison.Ordinal) && type is RecordType.Soa or RecordType.Any)
        {
            response.AnswerRecords.Add(records.Soa);
            return response;
        }

        if (!records.IsEmptyNonTerminal(key))
        {
            response.ReturnCode = ReturnCode.NxDomain;
        }

        AddSoa(response, key, records);
        return response;
    }

    /// <summary>Response skeleton: the query's id, question and RD bit; RA set (other names are resolved upstream); our own OPT when the query had one.</summary>
    private static DnsMessage Start(DnsMessage query)
    {
        DnsMessage response = query.CreateResponseInstance();
        response.IsRecursionAllowed = true;
        if (query.IsEDnsEnabled)
        {
            response.EDnsOptions = new OptRecord(AdvertisedPayload, []);
        }
        else
        {
            response.IsEDnsEnabled = false;
        }

        return response;
    }

    private static void AddSoa(DnsMessage response, string key, DnsRecordSet records)
    {
        if (records.InDomain(key))
        {
            response.AuthorityRecords.Add(records.Soa);
        }
    }

    /// <summary>
    /// <c>a-b-c-d.ns.pod.domain</c> (CoreDNS' "pods insecure": any well-formed address is answered without looking the pod up);
    /// null when the name is not a pod record, a null address when it is one whose first label is not an address.
    /// </summary>
    private static PodRecord? PodAddress(string key, DnsRecordSet records)
    {
        string suffix = ".pod." + records.Domain;
        if (!key.EndsWith(suffix, StringComparison.Ordinal))
        {
            return null;
        }

        string prefix = key[..^suffix.Length];
        int dot = prefix.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || prefix.IndexOf('.', dot + 1) >= 0)
        {
            return null;
        }

        return new PodRecord(DnsNames.TryParseDashed(prefix[..dot], out System.Net.IPAddress? address) ? address : null);
    }

    /// <summary>Header, question and OPT with TC set: never longer than the query, which fit the same transport.</summary>
    private static byte[] Truncated(DnsMessage query)
    {
        DnsMessage response = Start(query);
        response.IsAuthoritiveAnswer = true;
        response.IsTruncated = true;
        return DnsMessageEncoding.Encode(response).ToArray();
    }

    /// <summary>
    /// The template with this query's id, RD bit and question name written in; null (build afresh) unless the query's question sits
    /// where the template's does with the same bytes up to ASCII case, which also guarantees the same length.
    /// </summary>
    private static byte[]? Patch(byte[] template, ReadOnlySpan<byte> raw, DnsQuestion question)
    {
        int nameLength = 1;
        foreach (string label in question.Name.Labels)
        {
            nameLength += label.Length + 1;
        }

        int end = HeaderLength + nameLength + 4;
        if (raw.Length < end || template.Length < end)
        {
            return null;
        }

        ReadOnlySpan<byte> queried = raw[HeaderLength..end];
        ReadOnlySpan<byte> templated = template.AsSpan(HeaderLength, end - HeaderLength);
        if (!queried[^4..].SequenceEqual(templated[^4..]))
        {
            return null;
        }

        for (int i = 0; i < queried.Length - 4; i++)
        {
            if (Fold(queried[i]) != Fold(templated[i]))
            {
                return null;
            }
        }

        byte[] bytes = (byte[])template.Clone();
        bytes[0] = raw[0];
        bytes[1] = raw[1];
        bytes[2] = (byte)((bytes[2] & 0xFE) | (raw[2] & 0x01));
        queried.CopyTo(bytes.AsSpan(HeaderLength));
        return bytes;
    }

    private static byte Fold(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;

    private sealed record PodRecord(System.Net.IPAddress? Address);
}
