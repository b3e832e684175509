using System.Text.Json;
using k8s.Models;
using Skiff.ApiServer.CustomResources;
using Skiff.ApiServer.Registry;
using Skiff.Machinery.Json;

namespace Skiff.ApiServer.Tests.CustomResources;

public sealed class CustomResourceDefinitionValidationTests
{
    private const string GoodSchema = """
        {"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer","default":1}}},
         "status":{"type":"object","properties":{"replicas":{"type":"integer"}}}}}
        """;

    [Fact]
    public void Validate_WellFormedCrd_NoCauses()
    {
        Assert.Empty(Validate(Crd()));
    }

    [Fact]
    public void Validate_NameNotPluralDotGroup_Invalid()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Metadata.Name = "widget.example.com";

        Assert.Equal(["metadata.name: Invalid value: \"widget.example.com\": must be spec.names.plural+\".\"+spec.group"], Validate(crd));
    }

    [Fact]
    public void Validate_GroupWithoutDot_Invalid()
    {
        V1CustomResourceDefinition crd = Crd(group: "example");

        Assert.Contains("spec.group: Invalid value: \"example\": should be a domain with at least one dot", Validate(crd));
    }

    [Fact]
    public void Validate_BadNamesAndScope_UpstreamCauses()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Spec.Names.ListKind = "Widget";
        crd.Spec.Names.Singular = "Widget_1";
        crd.Spec.Scope = "Global";

        string[] causes = Validate(crd);

        Assert.Contains("spec.names.listKind: Invalid value: \"Widget\": kind and listKind may not be the same", causes);
        Assert.Contains(causes, c => c.StartsWith("spec.names.singular: Invalid value: \"Widget_1\": a DNS-1035 label", StringComparison.Ordinal));
        Assert.Contains("spec.scope: Unsupported value: \"Global\": supported values: \"Cluster\", \"Namespaced\"", causes);
    }

    [Fact]
    public void Validate_TwoStorageVersions_ExactlyOneRequired()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Spec.Versions.Add(Version("v2", storage: true));

        Assert.Equal(["spec.versions: Invalid value: [v1 v2]: must have exactly one version marked as storage version"], Validate(crd));
    }

    [Fact]
    public void Validate_DuplicateVersionNames_Invalid()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Spec.Versions.Add(Version("v1", storage: false));

        Assert.Contains(Validate(crd), c => c.EndsWith("must contain unique version names", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_VersionWithoutSchema_SchemasAreRequired()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Spec.Versions[0].Schema = null;

        Assert.Equal(["spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required"], Validate(crd));
    }

    [Fact]
    public void Validate_PropertyWithoutType_NotStructural()
    {
        V1CustomResourceDefinition crd = Crd(schema: """{"type":"object","properties":{"spec":{"properties":{"a":{"type":"string"}}}}}""");

        Assert.Equal(["spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"], Validate(crd));
    }

    [Fact]
    public void Validate_TypeInsideAnyOf_ForbiddenToBeStructural()
    {
        V1CustomResourceDefinition crd = Crd(schema: """{"type":"object","properties":{"spec":{"type":"object","anyOf":[{"type":"object","required":["a"]}]}}}""");

        Assert.Equal(["spec.versions[0].schema.openAPIV3Schema.properties[spec].anyOf[0].type: Forbidden: must be empty to be structural"], Validate(crd));
    }

    [Fact]
    public void Validate_IntOrStringAnyOfPattern_Structural()
    {
        V1CustomResourceDefinition crd = Crd(schema: """
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "port":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
              "list":{"type":"array","items":{"type":"string"}}}}}}
            """);

        Assert.Empty(Validate(crd));
    }

    [Fact]
    public void Validate_ArrayItemsWithoutType_ItemLevelMessage()
    {
        V1CustomResourceDefinition crd = Crd(schema: """{"type":"object","properties":{"spec":{"type":"object","properties":{"list":{"type":"array","items":{}}}}}}""");

        Assert.Equal(["spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[list].items.type: Required value: must not be empty for specified array items"], Validate(crd));
    }

    [Fact]
    public void Validate_NestedValueValidationExtensions_Forbidden()
    {
        V1CustomResourceDefinition crd = Crd(schema: """
            {"type":"object","properties":{"spec":{"type":"object","oneOf":[{"nullable":true,"default":{},"properties":{"metadata":{}}}]}}}
            """);

        string[] causes = Validate(crd);

        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].oneOf[0].nullable: Forbidden: must be false to be structural", causes);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].oneOf[0].default: Forbidden: must be undefined to be structural", causes);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].oneOf[0].properties[metadata]: Forbidden: must not be specified in a nested context", causes);
    }

    [Fact]
    public void Validate_RootNotObjectAndMetadataFields_Refused()
    {
        Assert.Equal(["spec.versions[0].schema.openAPIV3Schema.type: Invalid value: \"string\": must be object at the root"], Validate(Crd(schema: """{"type":"string"}""")));

        string[] causes = Validate(Crd(schema: """{"type":"object","properties":{"metadata":{"type":"object","properties":{"labels":{"type":"object"}}}}}"""));
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified", causes);
    }

    [Fact]
    public void Validate_PreserveUnknownFieldsFalse_MustBeTrueOrUndefined()
    {
        V1CustomResourceDefinition crd = Crd(schema: """{"type":"object","properties":{"spec":{"type":"object","x-kubernetes-preserve-unknown-fields":false}}}""");

        Assert.Equal(["spec.versions[0].schema.openAPIV3Schema.properties[spec].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined"], Validate(crd));
    }

    [Fact]
    public void Validate_DefaultOfWrongType_Invalid()
    {
        V1CustomResourceDefinition crd = Crd(schema: """{"type":"object","properties":{"spec":{"type":"object","properties":{"replicas":{"type":"integer","default":"one"}}}}}""");

        string cause = Assert.Single(Validate(crd));
        Assert.StartsWith("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value:", cause, StringComparison.Ordinal);
        Assert.Contains("must be of type integer: \"string\"", cause, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PrinterColumnsAndScale_UpstreamCauses()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Spec.Versions[0].AdditionalPrinterColumns =
        [
            new V1CustomResourceColumnDefinition { Name = "Replicas", Type = "int", JsonPath = ".spec.replicas" },
            new V1CustomResourceColumnDefinition { Name = "Bad", Type = "string", JsonPath = "spec" },
        ];
        crd.Spec.Versions[0].Subresources = new V1CustomResourceSubresources
        {
            Scale = new V1CustomResourceSubresourceScale { SpecReplicasPath = ".status.replicas", StatusReplicasPath = ".status.replicas" },
        };

        Assert.Equal(
        [
            "spec.versions[0].additionalPrinterColumns[0].type: Invalid value: \"int\": must be one of boolean,date,integer,number,string",
            "spec.versions[0].additionalPrinterColumns[1].jsonPath: Invalid value: \"spec\": must be a simple json path starting with .",
            "spec.versions[0].subresources.scale.specReplicasPath: Invalid value: \".status.replicas\": should be a json path under .spec",
        ], Validate(crd));
    }

    [Fact]
    public void Validate_WebhookConversionWithoutConfig_Required()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Spec.Conversion = new V1CustomResourceConversion { Strategy = "Webhook" };

        Assert.Equal(["spec.conversion.webhook: Required value: required when strategy is set to Webhook"], Validate(crd));
    }

    [Fact]
    public void Validate_ScopeChangedOnUpdate_Immutable()
    {
        V1CustomResourceDefinition old = Established(Crd());
        V1CustomResourceDefinition updated = Crd();
        updated.Spec.Scope = "Cluster";

        Assert.Equal(["spec.scope: Invalid value: \"Cluster\": field is immutable"], Validate(updated, old));
    }

    [Fact]
    public void Validate_GroupPluralOrKindChangedOnUpdate_Immutable()
    {
        V1CustomResourceDefinition old = Established(Crd());
        V1CustomResourceDefinition updated = Crd();
        updated.Spec.Names.Kind = "Gadget";
        updated.Spec.Names.ListKind = "GadgetList";

        Assert.Equal(["spec.names.kind: Invalid value: \"Gadget\": field is immutable"], Validate(updated, old));
    }

    [Fact]
    public void Validate_KindAndScopeOfANotYetEstablishedCrd_CanChange()
    {
        // A CRD whose kind conflicted never became Established: its kind and scope may still be repaired.
        V1CustomResourceDefinition old = Crd();
        V1CustomResourceDefinition updated = Crd();
        updated.Spec.Names.Kind = "Gadget";
        updated.Spec.Names.ListKind = "GadgetList";
        updated.Spec.Scope = "Cluster";

        Assert.Empty(Validate(updated, old));
    }

    private static V1CustomResourceDefinition Established(V1CustomResourceDefinition crd)
    {
        crd.Status = new V1CustomResourceDefinitionStatus { Conditions = [new V1CustomResourceDefinitionCondition { Type = "Established", Status = "True" }] };
        return crd;
    }

    [Fact]
    public void Defaults_MissingSingularListKindAndConversion_FilledAsUpstream()
    {
        V1CustomResourceDefinition crd = Crd();
        crd.Spec.Names.Singular = null;
        crd.Spec.Names.ListKind = null;

        CustomResourceDefinitionDefaults.Apply(crd);

        Assert.Equal(("widget", "WidgetList", "None"), (crd.Spec.Names.Singular, crd.Spec.Names.ListKind, crd.Spec.Conversion?.Strategy));
        Assert.Empty(Validate(crd));
    }

    [Fact]
    public void Validate_StoredVersionRemovedOnUpdate_Invalid()
    {
        V1CustomResourceDefinition old = Crd();
        old.Status = new V1CustomResourceDefinitionStatus { StoredVersions = ["v1beta1", "v1"] };
        V1CustomResourceDefinition updated = Crd();

        Assert.Equal(["status.storedVersions[0]: Invalid value: \"v1beta1\": must appear in spec.versions"], Validate(updated, old));
    }

    private static string[] Validate(V1CustomResourceDefinition crd, V1CustomResourceDefinition? old = null)
    {
        var errors = new ValidationErrors();
        CustomResourceDefinitionValidation.Validate(crd, old, errors);
        return errors.Causes.Select(c => $"{c.Field}: {c.Message}").ToArray();
    }

    private static V1CustomResourceDefinition Crd(string group = "example.com", string schema = GoodSchema) => new()
    {
        Metadata = new V1ObjectMeta { Name = "widgets." + group },
        Spec = new V1CustomResourceDefinitionSpec
        {
            Group = group,
            Scope = "Namespaced",
            Names = new V1CustomResourceDefinitionNames { Plural = "widgets", Singular = "widget", Kind = "Widget", ListKind = "WidgetList" },
            Versions = [Version("v1", storage: true, schema)],
        },
    };

    private static V1CustomResourceDefinitionVersion Version(string name, bool storage, string schema = GoodSchema) => new()
    {
        Name = name,
        Served = true,
        Storage = storage,
        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = JsonSerializer.Deserialize<V1JSONSchemaProps>(schema, SkiffJson.Options) },
    };
}
