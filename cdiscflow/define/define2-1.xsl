<?xml version="1.0" encoding="UTF-8"?>
<!-- cdiscflow's rendering of a Define-XML 2.1 file for a browser (XSLT 1.0, which browsers run
     without any download). Written beside define.xml and named by its xml-stylesheet
     instruction; define.html is the same content rendered ahead of time. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:odm="http://www.cdisc.org/ns/odm/v1.3"
    xmlns:def="http://www.cdisc.org/ns/def/v2.1"
    xmlns:xlink="http://www.w3.org/1999/xlink"
    exclude-result-prefixes="odm def xlink">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="mdv" select="/odm:ODM/odm:Study/odm:MetaDataVersion"/>
  <xsl:key name="item" match="odm:ItemDef" use="@OID"/>
  <xsl:key name="method" match="odm:MethodDef" use="@OID"/>
  <xsl:key name="comment" match="def:CommentDef" use="@OID"/>
  <xsl:key name="codelist" match="odm:CodeList" use="@OID"/>
  <xsl:key name="valuelist" match="def:ValueListDef" use="@OID"/>
  <xsl:key name="where" match="def:WhereClauseDef" use="@OID"/>

  <xsl:template match="/">
    <html>
      <head>
        <title><xsl:value-of select="$mdv/@Name"/></title>
        <style>
          body{font-family:sans-serif;margin:1.5em;color:#222}
          table{border-collapse:collapse;margin:.5em 0 1.5em}
          th,td{border:1px solid #999;padding:.25em .5em;text-align:left;vertical-align:top}
          th{background:#e8eef4}
          h2{border-bottom:2px solid #36c;padding-bottom:.2em;margin-top:2em}
          .small{color:#555;font-size:90%}
        </style>
      </head>
      <body>
        <h1><xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:StudyName"/>:
          <xsl:value-of select="$mdv/@Name"/></h1>
        <p><xsl:value-of select="/odm:ODM/odm:Study/odm:GlobalVariables/odm:StudyDescription"/></p>
        <table>
          <tr><th>Standard</th><th>Type</th><th>Publishing set</th><th>Version</th></tr>
          <xsl:for-each select="$mdv/def:Standards/def:Standard">
            <tr><td><xsl:value-of select="@Name"/></td><td><xsl:value-of select="@Type"/></td>
              <td><xsl:value-of select="@PublishingSet"/></td>
              <td><xsl:value-of select="@Version"/></td></tr>
          </xsl:for-each>
        </table>
        <xsl:if test="$mdv/def:AnnotatedCRF">
          <p>Annotated CRF:
            <xsl:for-each select="$mdv/def:AnnotatedCRF/def:DocumentRef">
              <xsl:variable name="id" select="@leafID"/>
              <a href="{$mdv/def:leaf[@ID=$id]/@xlink:href}">
                <xsl:value-of select="$mdv/def:leaf[@ID=$id]/def:title"/></a>
            </xsl:for-each>
          </p>
        </xsl:if>
        <h2>Datasets</h2>
        <table>
          <tr><th>Dataset</th><th>Description</th><th>Class</th><th>Structure</th>
            <th>Keys</th><th>Location</th></tr>
          <xsl:for-each select="$mdv/odm:ItemGroupDef">
            <tr>
              <td><a href="#{@OID}"><xsl:value-of select="@Name"/></a></td>
              <td><xsl:value-of select="odm:Description/odm:TranslatedText"/></td>
              <td><xsl:value-of select="def:Class/@Name"/></td>
              <td><xsl:value-of select="@def:Structure"/></td>
              <td>
                <xsl:for-each select="odm:ItemRef[@KeySequence]">
                  <xsl:sort select="@KeySequence" data-type="number"/>
                  <xsl:value-of select="key('item', @ItemOID)/@Name"/>
                  <xsl:if test="position() != last()">, </xsl:if>
                </xsl:for-each>
              </td>
              <td><a href="{def:leaf/@xlink:href}"><xsl:value-of select="def:leaf/def:title"/></a></td>
            </tr>
          </xsl:for-each>
        </table>
        <xsl:apply-templates select="$mdv/odm:ItemGroupDef"/>
        <xsl:if test="$mdv/odm:CodeList">
          <h2>Codelists</h2>
          <xsl:apply-templates select="$mdv/odm:CodeList"/>
        </xsl:if>
        <xsl:if test="$mdv/odm:MethodDef">
          <h2>Methods</h2>
          <table>
            <tr><th>Method</th><th>Type</th><th>Description</th><th>Expression</th></tr>
            <xsl:for-each select="$mdv/odm:MethodDef">
              <tr id="{@OID}"><td><xsl:value-of select="@Name"/></td>
                <td><xsl:value-of select="@Type"/></td>
                <td><xsl:value-of select="odm:Description/odm:TranslatedText"/></td>
                <td><code><xsl:value-of select="odm:FormalExpression"/></code></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>
        <xsl:if test="$mdv/def:CommentDef">
          <h2>Comments</h2>
          <table>
            <tr><th>Comment</th><th>Text</th></tr>
            <xsl:for-each select="$mdv/def:CommentDef">
              <tr id="{@OID}"><td><xsl:value-of select="@OID"/></td>
                <td><xsl:value-of select="odm:Description/odm:TranslatedText"/></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="odm:ItemGroupDef">
    <h2 id="{@OID}"><xsl:value-of select="@Name"/>:
      <xsl:value-of select="odm:Description/odm:TranslatedText"/></h2>
    <xsl:if test="@def:CommentOID">
      <p class="small"><xsl:value-of
          select="key('comment', @def:CommentOID)/odm:Description/odm:TranslatedText"/></p>
    </xsl:if>
    <table>
      <tr><th>Variable</th><th>Label</th><th>Key</th><th>Type</th><th>Length</th><th>Role</th>
        <th>Codelist</th><th>Origin</th><th>Method</th></tr>
      <xsl:for-each select="odm:ItemRef">
        <xsl:variable name="it" select="key('item', @ItemOID)"/>
        <tr>
          <td><xsl:value-of select="$it/@Name"/></td>
          <td><xsl:value-of select="$it/odm:Description/odm:TranslatedText"/>
            <xsl:if test="$it/def:ValueListRef">
              <xsl:call-template name="values">
                <xsl:with-param name="vl" select="key('valuelist', $it/def:ValueListRef/@ValueListOID)"/>
              </xsl:call-template>
            </xsl:if>
          </td>
          <td><xsl:value-of select="@KeySequence"/></td>
          <td><xsl:value-of select="$it/@DataType"/></td>
          <td><xsl:value-of select="$it/@Length"/></td>
          <td><xsl:value-of select="@Role"/></td>
          <td><xsl:if test="$it/odm:CodeListRef">
            <a href="#{$it/odm:CodeListRef/@CodeListOID}">
              <xsl:value-of select="key('codelist', $it/odm:CodeListRef/@CodeListOID)/@Name"/></a>
          </xsl:if></td>
          <td><xsl:apply-templates select="$it/def:Origin"/></td>
          <td><xsl:if test="@MethodOID">
            <a href="#{@MethodOID}"><xsl:value-of select="key('method', @MethodOID)/@Name"/></a>
          </xsl:if></td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template match="def:Origin">
    <xsl:value-of select="@Type"/>
    <xsl:if test="@Source"> (<xsl:value-of select="@Source"/>)</xsl:if>
    <xsl:if test="odm:Description">
      <br/><span class="small"><xsl:value-of select="odm:Description/odm:TranslatedText"/></span>
    </xsl:if>
    <xsl:for-each select="def:DocumentRef/def:PDFPageRef">
      <br/><span class="small">CRF page(s) <xsl:value-of select="@PageRefs"/></span>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="values">
    <xsl:param name="vl"/>
    <table>
      <tr><th>Where</th><th>Type</th><th>Length</th><th>Origin</th></tr>
      <xsl:for-each select="$vl/odm:ItemRef">
        <xsl:variable name="vi" select="key('item', @ItemOID)"/>
        <xsl:variable name="rc" select="key('where', def:WhereClauseRef/@WhereClauseOID)/odm:RangeCheck"/>
        <tr>
          <td><xsl:value-of select="key('item', $rc/@def:ItemOID)/@Name"/> =
            <xsl:value-of select="$rc/odm:CheckValue"/></td>
          <td><xsl:value-of select="$vi/@DataType"/></td>
          <td><xsl:value-of select="$vi/@Length"/></td>
          <td><xsl:apply-templates select="$vi/def:Origin"/></td>
        </tr>
      </xsl:for-each>
    </table>
  </xsl:template>

  <xsl:template match="odm:CodeList">
    <h3 id="{@OID}"><xsl:value-of select="@Name"/>
      <xsl:if test="odm:Alias"> (<xsl:value-of select="odm:Alias/@Name"/>)</xsl:if></h3>
    <table>
      <tr><th>Coded value</th><th>Decode</th><th>NCI code</th></tr>
      <xsl:for-each select="odm:EnumeratedItem|odm:CodeListItem">
        <tr><td><xsl:value-of select="@CodedValue"/></td>
          <td><xsl:value-of select="odm:Decode/odm:TranslatedText"/></td>
          <td><xsl:value-of select="odm:Alias/@Name"/>
            <xsl:if test="@def:ExtendedValue = 'Yes'">sponsor extension</xsl:if></td></tr>
      </xsl:for-each>
    </table>
  </xsl:template>
</xsl:stylesheet>
